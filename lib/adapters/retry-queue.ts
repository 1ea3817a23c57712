import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { MAX_SQS_DELAY_SECONDS } from '../domain/retry.ts';

/** One delivery of one worker run, as it travels on the retry queue. */
export const RetryMessageSchema = z.object({
  tenantId: z.string().min(1),
  runId: z.string().min(1),
  planId: z.string().min(1),
  deliveryId: z.string().min(1),
  mode: z.enum(['dry_run', 'live']),
  /** Attempt number that this message makes. */
  attempt: z.int().min(1),
  /** Highest attempt number that the run may make for the delivery. */
  attemptLimit: z.int().min(1).optional(),
  /** True for a redrive of a dead-lettered delivery, which may be exhausted. */
  redrive: z.boolean().optional(),
});
export type RetryMessage = z.output<typeof RetryMessageSchema>;

const SQS_BATCH_LIMIT = 10;

/** Sends retry messages to the retry queue. */
export class RetryQueue {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.#sqs = sqs;
    this.#queueUrl = queueUrl;
  }

  /**
   * Sends the messages in batches of ten, delayed by up to the SQS limit of
   * 900 seconds.
   *
   * @throws Error naming the deliveries that SQS did not accept.
   */
  async send(messages: RetryMessage[], delaySeconds = 0): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_SQS_DELAY_SECONDS, delaySeconds));
    for (let start = 0; start < messages.length; start += SQS_BATCH_LIMIT) {
      const batch = messages.slice(start, start + SQS_BATCH_LIMIT);
      const result = await this.#sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: batch.map((message, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(message),
            DelaySeconds: delay,
          })),
        }),
      );
      const failed = (result.Failed ?? []).map(
        (entry) => batch[Number(entry.Id)]?.deliveryId,
      );
      if (failed.length > 0) {
        throw new Error(
          `SQS did not accept the retry messages of deliveries ${failed.join(', ')}`,
        );
      }
    }
  }
}
