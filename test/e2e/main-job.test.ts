/**
 * The main job end to end on the real evidence package, against the local
 * endpoint: every handler, queue and table is real.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import { type MainJobResult, runMainJob } from '../../lib/local/main-job.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const PACKAGE_PATH = 'examples/cavra-sample-evidence-package.json';
const GENERATED_AT = new Date('2026-05-31T08:30:00Z');
const AFTER_RISK_EXPIRY = new Date('2026-12-04T12:00:00Z');

let runtime: LocalRuntime;

async function countItems(partitionKey: string): Promise<number> {
  const { Count = 0 } = await runtime.clients.documents.send(
    new QueryCommand({
      TableName: runtime.resources.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partitionKey },
      Select: 'COUNT',
    }),
  );
  return Count;
}

function runFor(asOf: Date, tenantId = randomTenant()) {
  return runMainJob(runtime, { packagePath: PACKAGE_PATH, tenantId, asOf });
}

beforeAll(async () => {
  runtime = await startLocalRuntime({ stage: randomStage('e') });
});

afterAll(async () => {
  await runtime?.stop();
});

describe('main job as of the package date', () => {
  let result: MainJobResult;

  beforeAll(async () => {
    result = await runFor(GENERATED_AT);
  });

  it('imports the package', () => {
    expect(result.import.status).toBe('imported');
  });

  it('finds one failed delivery with a retry plan', () => {
    expect(result.initial.healthState).toBe('warning');
    expect(result.initial.findings).toEqual([
      expect.objectContaining({
        category: 'closeout_delivery_failed',
        severity: 'warning',
        subjectId: 'connector-delivery-demo-001',
      }),
    ]);
  });

  it('releases with accepted risk', () => {
    expect(result.initial.releaseDecision.state).toBe(
      'ready_with_accepted_risk',
    );
  });

  it('delivers the alert plan to the package route', () => {
    expect(result.alertPlan?.status).toBe('published');
    expect(result.alertPlan?.routes).toEqual(['demo-non-production-webhook']);
    expect(result.alertPlan?.deliveries.map((item) => item.state)).toEqual([
      'delivered',
    ]);
  });

  it('stores redacted alert delivery evidence', () => {
    const evidence = result.alertPlan?.deliveries[0];

    expect(evidence?.request.url).toMatch(
      /\/hooks\/demo-non-production-webhook$/,
    );
    expect(evidence?.response?.statusCode).toBe(200);
  });

  it('plans a retry of the failed delivery', () => {
    expect(result.retryPlan?.decisions).toEqual([
      expect.objectContaining({
        deliveryId: 'connector-delivery-demo-001',
        decision: 'retry',
      }),
    ]);
  });

  it('runs the worker dry first, then live', () => {
    const outcomes = result.workerRuns.map((run) => [
      run.mode,
      run.state,
      run.executions.map((execution) => execution.outcome),
    ]);

    expect(outcomes).toEqual([
      ['dry_run', 'completed', ['would_retry']],
      ['live', 'completed', ['delivered']],
    ]);
  });

  it('becomes healthy and ready for release after the live retry', () => {
    expect(result.final.healthState).toBe('healthy');
    expect(result.final.findings).toEqual([]);
    expect(result.final.releaseDecision.state).toBe('ready_for_release');
  });

  it('sends a resolved notice once the tenant is healthy', () => {
    expect(result.resolvedAlertPlan?.kind).toBe('resolved');
  });
});

describe('main job after the accepted risk expired', () => {
  let result: MainJobResult;

  beforeAll(async () => {
    result = await runFor(AFTER_RISK_EXPIRY);
  });

  it('finds the same failed delivery', () => {
    expect(
      result.initial.findings.map((item) => [item.category, item.subjectId]),
    ).toEqual([['closeout_delivery_failed', 'connector-delivery-demo-001']]);
  });

  it('blocks the release naming the expired accepted risk', () => {
    const decision = result.initial.releaseDecision;

    expect(decision.state).toBe('blocked');
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        code: 'exception_expired',
        message: expect.stringContaining('expired on 2026-06-07'),
      }),
    ]);
  });

  it('is ready for release after the live retry', () => {
    expect(result.final.healthState).toBe('healthy');
    expect(result.final.releaseDecision.state).toBe('ready_for_release');
  });
});

describe('main job run twice', () => {
  it('stores no duplicate records', async () => {
    const tenantId = randomTenant();
    await runFor(GENERATED_AT, tenantId);
    const tenantItems = await countItems(`TENANT#${tenantId}`);
    const sendResults = await countItems('IDEMPOTENCY#live-send');
    const receiverRequests = runtime.receiver.requests.length;

    const second = await runFor(GENERATED_AT, tenantId);

    expect(second.import.status).toBe('unchanged');
    expect(await countItems(`TENANT#${tenantId}`)).toBe(tenantItems);
    expect(await countItems('IDEMPOTENCY#live-send')).toBe(sendResults);
    expect(runtime.receiver.requests.length).toBe(receiverRequests);
  });

  it('leaves a healthy tenant out of later evaluations', async () => {
    const tenantId = randomTenant();
    await runFor(GENERATED_AT, tenantId);

    const summaries = (await runtime.runSchedule(GENERATED_AT)) as Array<{
      tenantId: string;
    }>;

    expect(summaries.map((summary) => summary.tenantId)).not.toContain(
      tenantId,
    );
  });
});
