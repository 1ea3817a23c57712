/**
 * A poison retry message reaches the dead-letter queue after exactly
 * `maxReceiveCount` receives. Its delivery is recorded as exhausted and
 * raises a critical finding, and a redrive retries it, dry run first.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryQueue } from '../../lib/adapters/retry-queue.ts';
import type { DeadLetterRecord, HealthReport } from '../../lib/domain/model.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const DELIVERY_ID = 'connector-delivery-demo-001';
const AS_OF = new Date('2026-05-31T08:30:00Z');

let runtime: LocalRuntime;
let tenantId: string;
let retryReceives = 0;
let report: HealthReport;
let deadLetters: DeadLetterRecord[];

async function latestReport(): Promise<HealthReport> {
  await runtime.runSchedule(AS_OF);
  const response = await runtime.invokeApi(
    'GET',
    `/tenants/${tenantId}/health-reports/latest`,
  );
  return response.body;
}

beforeAll(async () => {
  runtime = await startLocalRuntime({ stage: randomStage('d') });
  tenantId = randomTenant();
  const packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
  await runtime.invokeApi('POST', `/tenants/${tenantId}/packages`, packageText);
  // A live message of a worker run that does not exist fails on every receive.
  const queue = new RetryQueue(
    runtime.clients.sqs,
    runtime.resources.retryQueue.url,
  );
  await queue.send([
    {
      tenantId,
      runId: 'wr-deleted',
      planId: 'rp-deleted',
      deliveryId: DELIVERY_ID,
      mode: 'live',
      attempt: 2,
    },
  ]);

  const drained = await runtime.drainRetries();
  retryReceives = drained.received;
  await runtime.drainDeadLetters();
  report = await latestReport();
  deadLetters = (
    await runtime.invokeApi('GET', `/tenants/${tenantId}/dead-letters`)
  ).body.deadLetters;
});

afterAll(async () => {
  await runtime?.stop();
});

describe('dead-lettered retry message', () => {
  it('is received exactly maxReceiveCount times', () => {
    expect(retryReceives).toBe(runtime.definition.retryQueue.maxReceiveCount);
  });

  it('is listed by the API', () => {
    expect(deadLetters.map((item) => [item.deliveryId, item.runId])).toEqual([
      [DELIVERY_ID, 'wr-deleted'],
    ]);
  });

  it('raises a critical undeliverable finding', () => {
    expect(report.healthState).toBe('critical');
    expect(
      report.findings.map((item) => [item.category, item.subjectId]),
    ).toEqual([['closeout_delivery_undeliverable', DELIVERY_ID]]);
  });

  it('blocks the release', () => {
    expect(report.releaseDecisions[0]?.state).toBe('blocked');
  });
});

describe('redrive of a dead-lettered delivery', () => {
  it('rejects a live redrive before its dry run', async () => {
    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/dead-letters/redrive`,
      { mode: 'live' },
    );

    expect(response.statusCode).toBe(409);
    expect(response.body.message).toMatch(/no completed dry run/);
  });

  it('runs dry first, then live, and delivers', async () => {
    const receivedBefore = runtime.receiver.requests.length;

    const dry = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/dead-letters/redrive`,
      {},
    );
    await runtime.drainRetries();
    const dryRun = await runtime.invokeApi(
      'GET',
      `/tenants/${tenantId}/worker-runs/${dry.body.run.runId}`,
    );
    const receivedAfterDryRun = runtime.receiver.requests.length;
    const live = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/dead-letters/redrive`,
      { mode: 'live' },
    );
    await runtime.drainRetries();
    const liveRun = await runtime.invokeApi(
      'GET',
      `/tenants/${tenantId}/worker-runs/${live.body.run.runId}`,
    );

    expect(dry.body.plan.source).toBe('redrive');
    expect(live.body.plan.planId).toBe(dry.body.plan.planId);
    expect(
      dryRun.body.executions.map((item: { outcome: string }) => item.outcome),
    ).toEqual(['would_retry']);
    expect(receivedAfterDryRun).toBe(receivedBefore);
    expect(
      liveRun.body.executions.map((item: { outcome: string }) => item.outcome),
    ).toEqual(['delivered']);
  });

  it('leaves the tenant healthy', async () => {
    const after = await latestReport();

    expect(after.healthState).toBe('healthy');
    expect(after.releaseDecisions[0]?.state).toBe('ready_for_release');
  });
});
