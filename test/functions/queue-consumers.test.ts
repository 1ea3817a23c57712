import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processQueueBatch } from '../../lib/lambda/queue-batch.ts';
import { lambdaContext } from '../../lib/local/lambda-events.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

let runtime: LocalRuntime;

function sqsRecord(body: string): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test',
    awsRegion: 'us-east-1',
  };
}

/** Imports the package and starts a dry run; returns its queued message. */
async function queuedDryRunMessage(): Promise<string> {
  const tenantId = randomTenant();
  const packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
  await runtime.invokeApi('POST', `/tenants/${tenantId}/packages`, packageText);
  const plan = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/retry-plans`,
    {},
  );
  const run = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/worker-runs`,
    { planId: plan.body.planId },
  );
  return JSON.stringify({
    tenantId,
    runId: run.body.runId,
    planId: plan.body.planId,
    deliveryId: 'connector-delivery-demo-001',
    mode: 'dry_run',
    attempt: 2,
  });
}

beforeAll(async () => {
  runtime = await startLocalRuntime({ stage: randomStage('q') });
});

afterAll(async () => {
  await runtime?.stop();
});

describe('retry-delivery handler', () => {
  it('reports only the record that cannot be parsed', async () => {
    const good = sqsRecord(await queuedDryRunMessage());
    const unparseable = sqsRecord('{not json');
    const event: SQSEvent = { Records: [good, unparseable] };

    const response = await runtime.handlers.retryDelivery(
      event,
      lambdaContext('retry', 30),
    );

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: unparseable.messageId },
    ]);
  });

  it('reports a record whose worker run does not exist', async () => {
    const orphan = sqsRecord(
      JSON.stringify({
        tenantId: randomTenant(),
        runId: 'wr-missing',
        planId: 'rp-missing',
        deliveryId: 'connector-delivery-demo-001',
        mode: 'dry_run',
        attempt: 2,
      }),
    );

    const response = await runtime.handlers.retryDelivery(
      { Records: [orphan] },
      lambdaContext('retry', 30),
    );

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: orphan.messageId },
    ]);
  });
});

describe('deliver-alert handler', () => {
  it('reports a record that is not an SNS notification', async () => {
    const record = sqsRecord(
      JSON.stringify({ Type: 'SubscriptionConfirmation' }),
    );

    const response = await runtime.handlers.deliverAlert(
      { Records: [record] },
      lambdaContext('alert', 30),
    );

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: record.messageId },
    ]);
  });
});

describe('processQueueBatch', () => {
  it('reports every record when the batch fails before its records', async () => {
    const records = [sqsRecord('a'), sqsRecord('b'), sqsRecord('c')];
    let handled = 0;

    const response = await processQueueBatch(
      { Records: records },
      lambdaContext('batch', 30),
      async () => {
        handled += 1;
      },
      async () => {
        throw new Error('connector settings unavailable');
      },
    );

    expect(handled).toBe(0);
    expect(
      response.batchItemFailures.map((item) => item.itemIdentifier),
    ).toEqual(records.map((record) => record.messageId));
  });

  it('reports every record when each one fails', async () => {
    const records = [sqsRecord('a'), sqsRecord('b')];

    const response = await processQueueBatch(
      { Records: records },
      lambdaContext('batch', 30),
      async () => {
        throw new Error('record failed');
      },
    );

    expect(response.batchItemFailures).toHaveLength(2);
  });
});
