/**
 * The circuit breaker of a connector route with the real worker, queue and
 * table: repeated failures open it, deliveries then wait without calling the
 * connector, and one probe closes it again.
 */
import { readFile } from 'node:fs/promises';
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
import { randomStage, randomTenant } from '../support/stage.ts';

const ROUTE = 'demo-non-production-webhook';
const OPEN_SECONDS = 4;

let runtime: LocalRuntime;
let receiver: WebhookReceiver;
let failing = true;
let packageText: string;

async function startLiveRun(tenantId: string): Promise<string> {
  await runtime.invokeApi('POST', `/tenants/${tenantId}/packages`, packageText);
  const plan = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/retry-plans`,
    {},
  );
  await runtime.invokeApi('POST', `/tenants/${tenantId}/worker-runs`, {
    planId: plan.body.planId,
  });
  await runtime.drainRetries();
  const live = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/worker-runs`,
    {
      planId: plan.body.planId,
      mode: 'live',
    },
  );
  return live.body.runId;
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
  packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
});

afterAll(async () => {
  await runtime?.stop();
});

describe('connector circuit breaker', () => {
  it('opens after repeated failures and stops calling the connector', async () => {
    const tenantId = randomTenant();
    await startLiveRun(tenantId);

    await runtime.drainRetries({ settleMs: 2_500, releaseFailed: false });
    const callsWhenOpen = receiver.requests.length;
    await runtime.drainRetries({ settleMs: 1_500, releaseFailed: false });
    const circuit = await new CircuitStore(
      runtime.clients.documents,
      runtime.resources.tableName,
    ).get(ROUTE);

    expect(callsWhenOpen).toBe(3);
    expect(receiver.requests.length).toBe(callsWhenOpen);
    expect(circuit?.openUntil).toBeDefined();
  });

  it('closes after one successful probe and delivers', async () => {
    failing = false;
    const tenantId = randomTenant();
    const runId = await startLiveRun(tenantId);

    await runtime.drainRetries({ settleMs: 15_000, releaseFailed: false });
    const run = await runtime.invokeApi(
      'GET',
      `/tenants/${tenantId}/worker-runs/${runId}`,
    );
    const circuit = await new CircuitStore(
      runtime.clients.documents,
      runtime.resources.tableName,
    ).get(ROUTE);

    expect(
      run.body.executions.map((item: { outcome: string }) => item.outcome),
    ).toEqual(['delivered']);
    expect(circuit?.openUntil).toBeUndefined();
    expect(circuit?.failures).toBe(0);
  });
});
