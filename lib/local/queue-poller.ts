/**
 * An SQS event source mapping for local runs: receives batches from a queue,
 * calls the consumer with an `SQSEvent` as Lambda builds it, deletes the
 * records that succeeded and returns the failed ones to the queue.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import type { QueueConsumerDefinition, QueueDefinition } from '../resources.ts';
import type { ProvisionedQueue } from './provision.ts';

export type QueueConsumer = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse>;

export interface DrainResult {
  batches: number;
  received: number;
  failed: number;
}

export interface DrainOptions {
  sqs: SQSClient;
  queue: ProvisionedQueue;
  definition: QueueDefinition;
  consumer: QueueConsumerDefinition;
  handler: QueueConsumer;
  context: () => Context;
  /** Upper bound on batches, so that a poison message cannot loop forever. */
  maxBatches?: number;
  /**
   * Milliseconds to keep polling while messages are delayed or in flight;
   * 0 stops at the first empty receive.
   */
  settleMs?: number;
  /** Overrides the visibility timeout of received messages, in seconds. */
  visibilityTimeoutSeconds?: number;
  /** Makes failed records visible again at once; true by default. */
  releaseFailed?: boolean;
}

/** Counts the messages that are visible, delayed or in flight. */
async function pendingCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

function toRecord(message: Message, queue: ProvisionedQueue): SQSRecord {
  const attributes = message.Attributes ?? {};
  const region = queue.arn.split(':')[3] ?? 'us-east-1';
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp:
        attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * Delivers batches until the queue returns no message.
 *
 * NOTE: Lambda leaves a failed record invisible for the queue's visibility
 * timeout. This poller makes it visible again at once, so that local runs
 * reach `maxReceiveCount` and the dead-letter queue in seconds.
 */
export async function drainQueue(options: DrainOptions): Promise<DrainResult> {
  const { sqs, queue } = options;
  const result: DrainResult = { batches: 0, received: 0, failed: 0 };
  const maxBatches = options.maxBatches ?? 100;
  const settleUntil = Date.now() + (options.settleMs ?? 0);
  const releaseFailed = options.releaseFailed ?? true;

  while (result.batches < maxBatches) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: options.consumer.batchSize,
        VisibilityTimeout:
          options.visibilityTimeoutSeconds ??
          options.definition.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) {
      const pending =
        Date.now() < settleUntil ? await pendingCount(sqs, queue.url) : 0;
      if (pending === 0) {
        return result;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    result.batches += 1;
    result.received += Messages.length;

    const records = Messages.map((message) => toRecord(message, queue));
    const response = await options.handler(
      { Records: records },
      options.context(),
    );
    const failedIds = new Set(
      response.batchItemFailures.map((item) => item.itemIdentifier),
    );
    result.failed += failedIds.size;

    const succeeded = records.filter(
      (record) => !failedIds.has(record.messageId),
    );
    const failed = records.filter((record) => failedIds.has(record.messageId));
    if (succeeded.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: succeeded.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
    }
    if (failed.length > 0 && releaseFailed) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: failed.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
  return result;
}
