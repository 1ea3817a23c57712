/**
 * The retry worker against a receiver whose responses each test sets: the
 * classification of responses, backoff with Retry-After, and the circuit
 * breaker, with the real handler, queue and table.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceRepository } from '../../lib/adapters/evidence-repository.ts';
import type { ExecutionRecord, HealthReport } from '../../lib/domain/model.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../lib/local/webhook-receiver.ts';
import { samplePackage, startLiveRun } from '../support/retry-flow.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const DELIVERY_ID = 'connector-delivery-demo-001';
const FLAKY_ROUTE = 'demo-non-production-webhook';

let runtime: LocalRuntime;
let receiver: WebhookReceiver;
let packageText: string;
/** Statuses that the receiver returns next, in order; then 200. */
let script: Array<{ status: number; retryAfter?: string }> = [];

async function liveRun(tenantId: string): Promise<ExecutionRecord[]> {
  const { runId } = await startLiveRun(runtime, tenantId, packageText);
  await runtime.drainRetries({ settleMs: 20_000, releaseFailed: false });
  const read = await runtime.invokeApi(
    'GET',
    `/tenants/${tenantId}/worker-runs/${runId}`,
  );
  return read.body.executions;
}

function keysFor(tenantId: string): string[] {
  return runtime.receiver.requests
    .map((request) => String(request.headers['idempotency-key']))
    .filter((key) => key.startsWith(`${tenantId}:`));
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => {
    const next = script.shift();
    if (!next) {
      return 200;
    }
    const headers: Record<string, string> = next.retryAfter
      ? { 'retry-after': next.retryAfter }
      : {};
    return { status: next.status, headers };
  });
  runtime = await startLocalRuntime({
    stage: randomStage('r'),
    receiver,
    connectors: {
      [FLAKY_ROUTE]: {
        type: 'webhook',
        url: `${receiver.url}/hooks/${FLAKY_ROUTE}`,
        retry: { baseSeconds: 1, factor: 1, capSeconds: 1, maxAttempts: 4 },
        circuit: {
          failureThreshold: 50,
          windowSeconds: 60,
          openSeconds: 1,
          probeLeaseSeconds: 1,
        },
      },
    },
  });
  packageText = await samplePackage();
});

beforeEach(() => {
  script = [];
});

afterAll(async () => {
  await runtime?.stop();
});

describe('live retry', () => {
  it('retries a 503 with the next attempt number and delivers', async () => {
    const tenantId = randomTenant();
    script = [{ status: 503 }];

    const executions = await liveRun(tenantId);

    expect(executions.map((item) => [item.outcome, item.attempt])).toEqual([
      ['delivered', 3],
    ]);
    expect(keysFor(tenantId)).toEqual([
      `${tenantId}:${DELIVERY_ID}:2`,
      `${tenantId}:${DELIVERY_ID}:3`,
    ]);
  });

  it('stops at a 400 and reports the delivery undeliverable', async () => {
    const tenantId = randomTenant();
    script = [{ status: 400 }];

    const executions = await liveRun(tenantId);
    await runtime.runSchedule(new Date('2026-05-31T08:30:00Z'));
    const report: HealthReport = (
      await runtime.invokeApi(
        'GET',
        `/tenants/${tenantId}/health-reports/latest`,
      )
    ).body;

    expect(executions.map((item) => item.outcome)).toEqual(['failed']);
    expect(keysFor(tenantId)).toHaveLength(1);
    expect(
      report.findings.map((item) => [item.category, item.severity]),
    ).toEqual([['closeout_delivery_undeliverable', 'critical']]);
  });

  it('exhausts the delivery after maxAttempts', async () => {
    const tenantId = randomTenant();
    script = [{ status: 500 }, { status: 502 }, { status: 503 }];

    const executions = await liveRun(tenantId);
    const repository = new EvidenceRepository(
      runtime.clients.documents,
      runtime.resources.tableName,
    );
    const stored = await repository.getDelivery(tenantId, DELIVERY_ID);

    expect(executions.map((item) => [item.outcome, item.attempt])).toEqual([
      ['exhausted', 4],
    ]);
    expect(stored?.delivery.state).toBe('exhausted');
    expect(keysFor(tenantId)).toHaveLength(3);
  });

  it('waits as long as Retry-After asks', async () => {
    const tenantId = randomTenant();
    script = [{ status: 429, retryAfter: '3' }];

    const started = Date.now();
    const executions = await liveRun(tenantId);
    const times = runtime.receiver.requests
      .filter((request) =>
        String(request.headers['idempotency-key']).startsWith(`${tenantId}:`),
      )
      .map((request) => Date.parse(request.receivedAt));

    expect(executions.map((item) => item.outcome)).toEqual(['delivered']);
    expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(2_900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });
});
