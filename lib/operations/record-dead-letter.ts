/**
 * Handling of a retry message that reached the dead-letter queue: the
 * message is stored for inspection and redrive, the run records the delivery
 * as exhausted, and a live delivery becomes `exhausted`, which the next
 * evaluation reports as a critical `closeout_delivery_undeliverable`.
 */
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryMessage } from '../adapters/retry-queue.ts';
import {
  type DeadLetterRecord,
  type ExecutionRecord,
  idempotencyKeyOf,
} from '../domain/model.ts';

/** The dead-lettered SQS message. */
export interface DeadLetterContext {
  messageId: string;
  /** `ApproximateReceiveCount` as the dead-letter queue reports it. */
  receiveCount: number;
}

export interface DeadLetterHandling {
  deadLetter: DeadLetterRecord;
  /** False when the same message was recorded before. */
  created: boolean;
  execution: ExecutionRecord | undefined;
  deliveryExhausted: boolean;
}

const MAX_DELIVERY_WRITES = 3;

async function exhaustDelivery(
  repository: EvidenceRepository,
  message: RetryMessage,
  now: Date,
): Promise<boolean> {
  for (let tries = 0; tries < MAX_DELIVERY_WRITES; tries += 1) {
    const loaded = await repository.getDelivery(
      message.tenantId,
      message.deliveryId,
    );
    if (loaded?.delivery.state !== 'failed') {
      return false;
    }
    const exhausted = {
      ...loaded.delivery,
      state: 'exhausted' as const,
      lastAttemptRunId: message.runId,
      nextAttemptAt: undefined,
      lastAttempt: {
        at: now.toISOString(),
        classification: 'retryable' as const,
        error: 'the retry message reached the dead-letter queue',
      },
    };
    if (await repository.updateDelivery(exhausted, loaded.version)) {
      return true;
    }
  }
  throw new Error(
    `Delivery ${message.deliveryId} kept changing while it was marked exhausted`,
  );
}

/** Records a dead-lettered retry message; repeating it changes nothing. */
export async function recordDeadLetter(
  repository: EvidenceRepository,
  message: RetryMessage,
  context: DeadLetterContext,
  now: Date,
): Promise<DeadLetterHandling> {
  const deadLetter: DeadLetterRecord = {
    tenantId: message.tenantId,
    deliveryId: message.deliveryId,
    runId: message.runId,
    planId: message.planId,
    mode: message.mode,
    messageId: context.messageId,
    receiveCount: context.receiveCount,
    deadLetteredAt: now.toISOString(),
  };
  const created = await repository.putDeadLetter(deadLetter);
  const deliveryExhausted =
    message.mode === 'live'
      ? await exhaustDelivery(repository, message, now)
      : false;

  const run = await repository.getWorkerRun(message.tenantId, message.runId);
  let execution = await repository.getExecution(
    message.tenantId,
    message.runId,
    message.deliveryId,
  );
  if (run && !execution) {
    const record: ExecutionRecord = {
      tenantId: message.tenantId,
      runId: message.runId,
      deliveryId: message.deliveryId,
      mode: message.mode,
      attempt: message.attempt,
      outcome: 'exhausted',
      recordedAt: now.toISOString(),
      idempotencyKey: idempotencyKeyOf(
        message.tenantId,
        message.deliveryId,
        message.attempt,
      ),
      detail: 'the retry message reached the dead-letter queue',
    };
    await repository.recordExecution(record, run.deliveryIds.length);
    execution = await repository.getExecution(
      message.tenantId,
      message.runId,
      message.deliveryId,
    );
  }
  return { deadLetter, created, execution, deliveryExhausted };
}
