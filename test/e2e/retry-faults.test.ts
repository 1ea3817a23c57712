/**
 * Fault test of the retry engine. A receiver fails about a third of the
 * requests, responds to some after the connector's timeout and is restarted
 * once. One worker process is killed in the middle of a batch. Afterwards a
 * ledger accounts for every delivery: accepted exactly once by the
 * receiver, or exhausted with nothing accepted. Nothing is missing or
 * duplicated.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceRepository } from '../../lib/adapters/evidence-repository.ts';
import type { Delivery } from '../../lib/domain/model.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import {
  type FaultReceiver,
  startFaultReceiver,
} from '../support/fault-receiver.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const ROUTE = 'demo-non-production-webhook';
const DELIVERY_ID = 'connector-delivery-demo-001';
const TENANTS = 24;
const VISIBILITY_SECONDS = 3;
const AS_OF = '2026-05-31T08:30:00Z';

let receiver: FaultReceiver;
let runtime: LocalRuntime;
let stage: string;
const tenants: string[] = [];
let killedWorkerExit: NodeJS.Signals | null = null;

interface LedgerEntry {
  tenantId: string;
  state: Delivery['state'];
  accepted: number;
}
let ledger: LedgerEntry[] = [];

async function startRuns(mode: 'dry_run' | 'live') {
  for (const tenantId of tenants) {
    const plans = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      { asOf: AS_OF },
    );
    const run = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/worker-runs`,
      {
        planId: plans.body.planId,
        mode,
      },
    );
    expect(run.statusCode).toBe(202);
  }
}

/** Starts a worker process and kills it once the receiver saw some requests. */
async function runAndKillWorker(): Promise<NodeJS.Signals | null> {
  const child: ChildProcess = spawn(
    'npx',
    ['tsx', 'test/support/retry-worker-process.ts'],
    {
      env: {
        ...process.env,
        DRAIN_QUEUE: JSON.stringify(runtime.resources.retryQueue),
        DRAIN_STAGE: stage,
        DRAIN_VISIBILITY_SECONDS: String(VISIBILITY_SECONDS),
      },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    child.once('exit', (_code, signal) => resolve(signal));
  });
  const deadline = Date.now() + 30_000;
  while (receiver.requests < 6 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  return exited;
}

beforeAll(async () => {
  receiver = await startFaultReceiver({
    failureRate: 1 / 3,
    slowRate: 0.1,
    slowMs: 700,
    seed: 20261204,
  });
  stage = randomStage('f');
  runtime = await startLocalRuntime({
    stage,
    connectors: {
      [ROUTE]: {
        type: 'webhook',
        url: `${receiver.url}/hooks/${ROUTE}`,
        timeoutMs: 300,
        retry: { baseSeconds: 1, factor: 2, capSeconds: 2, maxAttempts: 8 },
        circuit: {
          failureThreshold: 20,
          windowSeconds: 10,
          openSeconds: 2,
          probeLeaseSeconds: 2,
        },
      },
    },
  });
  const packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
  for (let index = 0; index < TENANTS; index += 1) {
    const tenantId = randomTenant();
    tenants.push(tenantId);
    await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      packageText,
    );
  }
  await startRuns('dry_run');
  await runtime.drainRetries();
  await startRuns('live');

  killedWorkerExit = await runAndKillWorker();
  await receiver.restart(500);
  await runtime.drainRetries({
    settleMs: 120_000,
    visibilityTimeoutSeconds: VISIBILITY_SECONDS,
    releaseFailed: false,
    maxBatches: 1_000,
  });
  await runtime.drainDeadLetters();

  const repository = new EvidenceRepository(
    runtime.clients.documents,
    runtime.resources.tableName,
  );
  ledger = await Promise.all(
    tenants.map(async (tenantId) => {
      const stored = await repository.getDelivery(tenantId, DELIVERY_ID);
      const accepted = [...receiver.accepted.values()].filter(
        (item) => item.tenantId === tenantId,
      ).length;
      return { tenantId, state: stored?.delivery.state ?? 'failed', accepted };
    }),
  );
}, 240_000);

afterAll(async () => {
  await runtime?.stop();
  await receiver?.close();
});

describe('retry engine under faults', () => {
  it('killed one worker in the middle of its work', () => {
    expect(killedWorkerExit).toBe('SIGKILL');
  });

  it('settles every delivery', () => {
    const unsettled = ledger.filter(
      (entry) => entry.state !== 'delivered' && entry.state !== 'exhausted',
    );

    expect(unsettled).toEqual([]);
  });

  it('has each delivered delivery accepted exactly once', () => {
    const delivered = ledger.filter((entry) => entry.state === 'delivered');

    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.filter((entry) => entry.accepted !== 1)).toEqual([]);
  });

  it('has nothing accepted for an exhausted delivery', () => {
    const exhausted = ledger.filter((entry) => entry.state === 'exhausted');

    expect(exhausted.filter((entry) => entry.accepted !== 0)).toEqual([]);
  });

  it('sends an idempotency key again only after the killed worker', () => {
    // The killed worker may have sent a request without storing its result.
    // Its retry then repeats that key once, and the receiver drops it.
    expect(receiver.duplicates.length).toBeLessThanOrEqual(1);
  });

  it('failed some requests on purpose', () => {
    expect(receiver.requests).toBeGreaterThan(TENANTS);
  });
});
