/**
 * The retry worker's handling of single messages, called directly with the
 * adapters that the function builds: waits beyond the SQS delay limit,
 * repeated messages and stale follow-ups.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetryMessage } from '../../lib/adapters/retry-queue.ts';
import { readConfig } from '../../lib/config.ts';
import { createRetryWorkerDependencies } from '../../lib/lambda/retry-worker-setup.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import {
  processRetryMessage,
  type RetryWorkerDependencies,
} from '../../lib/operations/retry-worker.ts';
import { samplePackage, startLiveRun } from '../support/retry-flow.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const DELIVERY_ID = 'connector-delivery-demo-001';

let runtime: LocalRuntime;
let dependencies: RetryWorkerDependencies;
let packageText: string;

/** Imports the package, completes a dry run and starts a live run. */
async function liveMessage(): Promise<RetryMessage> {
  const tenantId = randomTenant();
  const { planId, runId } = await startLiveRun(runtime, tenantId, packageText);
  // The test handles the live message itself; the queued copy stays unread.
  return {
    tenantId,
    runId,
    planId,
    deliveryId: DELIVERY_ID,
    mode: 'live',
    attempt: 2,
  };
}

async function storedDelivery(tenantId: string) {
  const stored = await dependencies.repository.getDelivery(
    tenantId,
    DELIVERY_ID,
  );
  if (!stored) {
    throw new Error(`the imported delivery of ${tenantId} is missing`);
  }
  return stored;
}

function requestsOf(tenantId: string): number {
  return runtime.receiver.requests.filter((request) =>
    String(request.headers['idempotency-key']).startsWith(`${tenantId}:`),
  ).length;
}

async function delayedMessages(): Promise<number> {
  const { Attributes = {} } = await runtime.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: runtime.resources.retryQueue.url,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
}

beforeAll(async () => {
  runtime = await startLocalRuntime({ stage: randomStage('w') });
  dependencies = createRetryWorkerDependencies(readConfig(), runtime.clients);
  packageText = await samplePackage();
});

afterAll(async () => {
  await runtime?.stop();
});

describe('processRetryMessage', () => {
  it('re-queues a delivery due in two hours with the 900 s SQS limit', async () => {
    const message = await liveMessage();
    const { delivery, version } = await storedDelivery(message.tenantId);
    const dueAt = new Date(Date.now() + 2 * 60 * 60 * 1000).toISOString();
    await dependencies.repository.updateDelivery(
      { ...delivery, nextAttemptAt: dueAt },
      version,
    );

    const handling = await processRetryMessage(dependencies, message, {
      messageId: 'm-due',
    });

    expect(handling).toMatchObject({
      kind: 'requeued',
      attempt: 2,
      delaySeconds: 900,
    });
    expect(requestsOf(message.tenantId)).toBe(0);
    expect(await delayedMessages()).toBeGreaterThanOrEqual(1);
  });

  it('sends once when SQS delivers the same message twice', async () => {
    const message = await liveMessage();

    const first = await processRetryMessage(dependencies, message, {
      messageId: 'm-twice',
    });
    const second = await processRetryMessage(dependencies, message, {
      messageId: 'm-twice',
    });

    expect(first).toMatchObject({
      kind: 'recorded',
      record: { outcome: 'delivered' },
    });
    expect(second).toEqual(first);
    expect(requestsOf(message.tenantId)).toBe(1);
  });

  it('sends once when two copies run at the same time', async () => {
    const message = await liveMessage();

    const results = await Promise.allSettled([
      processRetryMessage(dependencies, message, { messageId: 'm-copy-1' }),
      processRetryMessage(dependencies, message, { messageId: 'm-copy-2' }),
    ]);

    expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
    expect(requestsOf(message.tenantId)).toBe(1);
  });

  it('drops a follow-up that another message of its run made', async () => {
    const message = await liveMessage();
    const { delivery, version } = await storedDelivery(message.tenantId);
    await dependencies.repository.updateDelivery(
      {
        ...delivery,
        attempts: 3,
        lastAttemptRunId: message.runId,
        lastAttemptMessageId: 'm-other',
      },
      version,
    );

    const handling = await processRetryMessage(dependencies, message, {
      messageId: 'm-stale',
    });

    expect(handling.kind).toBe('dropped');
    expect(requestsOf(message.tenantId)).toBe(0);
  });

  it('records a skip when another run made the attempt', async () => {
    const message = await liveMessage();
    const { delivery, version } = await storedDelivery(message.tenantId);
    await dependencies.repository.updateDelivery(
      {
        ...delivery,
        attempts: 3,
        lastAttemptRunId: 'wr-newer-plan',
        lastAttemptMessageId: 'm-other',
      },
      version,
    );

    const handling = await processRetryMessage(dependencies, message, {
      messageId: 'm-stale',
    });
    const run = await dependencies.repository.getWorkerRun(
      message.tenantId,
      message.runId,
    );

    expect(handling).toMatchObject({
      kind: 'recorded',
      record: { outcome: 'skipped' },
    });
    expect(run?.state).toBe('completed');
    expect(requestsOf(message.tenantId)).toBe(0);
  });

  it('marks the delivery exhausted past the attempt limit', async () => {
    const message = await liveMessage();
    const { delivery, version } = await storedDelivery(message.tenantId);
    await dependencies.repository.updateDelivery(
      { ...delivery, attempts: 8 },
      version,
    );

    const handling = await processRetryMessage(
      dependencies,
      { ...message, attempt: 9 },
      { messageId: 'm-limit' },
    );
    const stored = await storedDelivery(message.tenantId);

    expect(handling).toMatchObject({
      kind: 'recorded',
      record: { outcome: 'exhausted' },
    });
    expect(stored.delivery.state).toBe('exhausted');
  });
});
