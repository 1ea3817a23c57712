/**
 * The circuit breaker of a connector route with the real worker, queue and
 * table: repeated failures open it, deliveries then wait without calling the
 * connector, and one probe closes it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitStore } from '../../lib/adapters/circuit-store.ts';
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

const ROUTE = 'demo-non-production-webhook';
const OPEN_SECONDS = 600;

let runtime: LocalRuntime;
let receiver: WebhookReceiver;
let failing = true;
let packageText: string;

function circuits(): CircuitStore {
  return new CircuitStore(
    runtime.clients.documents,
    runtime.resources.tableName,
  );
}

/** Runs the worker until the route's circuit opens, for at most 30 s. */
async function drainUntilOpen() {
  const deadline = Date.now() + 30_000;
  let circuit = await circuits().get(ROUTE);
  while (!circuit?.openUntil && Date.now() < deadline) {
    await runtime.drainRetries({ settleMs: 500, releaseFailed: false });
    circuit = await circuits().get(ROUTE);
  }
  return circuit;
}

/** Runs the worker until the run completes, for at most 30 s. */
async function drainUntilCompleted(tenantId: string, runId: string) {
  const deadline = Date.now() + 30_000;
  const path = `/tenants/${tenantId}/worker-runs/${runId}`;
  let run = await runtime.invokeApi('GET', path);
  while (run.body.state !== 'completed' && Date.now() < deadline) {
    await runtime.drainRetries({ settleMs: 500, releaseFailed: false });
    run = await runtime.invokeApi('GET', path);
  }
  return run;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => (failing ? 503 : 200));
  runtime = await startLocalRuntime({
    stage: randomStage('b'),
    receiver,
    connectors: {
      [ROUTE]: {
        type: 'webhook',
        url: `${receiver.url}/hooks/${ROUTE}`,
        retry: { baseSeconds: 1, factor: 1, capSeconds: 1, maxAttempts: 8 },
        circuit: {
          failureThreshold: 3,
          windowSeconds: 60,
          openSeconds: OPEN_SECONDS,
          probeLeaseSeconds: 2,
        },
      },
    },
  });
  packageText = await samplePackage();
});

afterAll(async () => {
  await runtime?.stop();
});

describe('connector circuit breaker', () => {
  it('opens after repeated failures and stops calling the connector', async () => {
    const tenantId = randomTenant();
    await startLiveRun(runtime, tenantId, packageText);

    const circuit = await drainUntilOpen();
    const callsWhenOpen = receiver.requests.length;
    await runtime.drainRetries({ settleMs: 1_500, releaseFailed: false });

    expect(circuit?.openUntil).toBeDefined();
    expect(callsWhenOpen).toBe(3);
    expect(receiver.requests.length).toBe(callsWhenOpen);
  });

  it('closes after one successful probe and delivers', async () => {
    failing = false;
    // The open period is over: its end moves to now instead of ten minutes.
    await circuits().update(ROUTE, (state) => ({
      route: ROUTE,
      failures: state?.failures ?? 0,
      windowStartedAt: state?.windowStartedAt ?? new Date().toISOString(),
      openUntil: new Date().toISOString(),
    }));
    const tenantId = randomTenant();
    const { runId } = await startLiveRun(runtime, tenantId, packageText);

    const run = await drainUntilCompleted(tenantId, runId);
    const circuit = await circuits().get(ROUTE);

    expect(
      run.body.executions.map((item: { outcome: string }) => item.outcome),
    ).toEqual(['delivered']);
    expect(circuit?.openUntil).toBeUndefined();
    expect(circuit?.failures).toBe(0);
  });
});
