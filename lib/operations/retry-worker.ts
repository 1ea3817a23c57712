/**
 * The retry worker's handling of one queued delivery.
 *
 * A dry run records what it would send. A live run sends each idempotency
 * key (tenant, delivery and attempt) once: Powertools idempotency returns
 * the stored result to a repeated message. A worker that dies after a send
 * and before its result is stored sends that key once more, which the
 * receiver can drop. The delivery is updated under a version check, and the
 * run records the final outcome of each delivery. A retryable failure, a
 * delivery that is not due and an open circuit queue a follow-up message
 * instead of calling the connector.
 */
import {
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { CircuitStore } from '../adapters/circuit-store.ts';
import { sendToConnector } from '../adapters/connector-client.ts';
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryMessage, RetryQueue } from '../adapters/retry-queue.ts';
import type { Connector } from '../config.ts';
import {
  admit,
  type CircuitPolicy,
  type CircuitState,
  recordFailure,
  recordSuccess,
} from '../domain/circuit-breaker.ts';
import { buildCloseoutPayload } from '../domain/closeout-payload.ts';
import {
  type CloseoutEvidence,
  type Delivery,
  type ExecutionOutcome,
  type ExecutionRecord,
  idempotencyKeyOf,
  type WorkerRun,
} from '../domain/model.ts';
import {
  backoffSeconds,
  classifySend,
  MAX_SQS_DELAY_SECONDS,
  type RetryPolicy,
  type SendResult,
} from '../domain/retry.ts';

/** Seconds that a live send's result is remembered against a second send. */
const SEND_RESULT_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface RetryWorkerDependencies {
  repository: EvidenceRepository;
  circuits: CircuitStore;
  queue: RetryQueue;
  resolveConnector: (route: string) => Promise<Connector | undefined>;
  policyFor: (route: string) => RetryPolicy;
  circuitPolicyFor: (route: string) => CircuitPolicy;
  now: () => Date;
  persistence: BasePersistenceLayer;
  idempotencyConfig: IdempotencyConfig;
}

/** Identity of the SQS message being handled. */
export interface MessageContext {
  messageId: string;
}

/** Outcome of handling one message. */
export type RetryHandling =
  | { kind: 'recorded'; record: ExecutionRecord }
  | { kind: 'requeued'; attempt: number; delaySeconds: number; reason: string }
  | { kind: 'dropped'; reason: string };

/** Creates the idempotency settings of live sends, keyed by `idempotencyKey`. */
export function createSendIdempotencyConfig(): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'idempotencyKey',
    expiresAfterSeconds: SEND_RESULT_TTL_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
}

interface SendRequest {
  idempotencyKey: string;
  route: string;
  payload: unknown;
}

function secondsUntil(at: string, now: Date): number {
  return Math.max(1, Math.ceil((Date.parse(at) - now.getTime()) / 1000));
}

/** Handling of one message, with the run and message it belongs to. */
class RetryAttempt {
  constructor(
    readonly dependencies: RetryWorkerDependencies,
    readonly message: RetryMessage,
    readonly context: MessageContext,
    readonly run: WorkerRun,
  ) {}

  async record(
    outcome: ExecutionOutcome,
    attempt: number,
    extra: Partial<ExecutionRecord> = {},
  ): Promise<RetryHandling> {
    const { tenantId, runId, deliveryId } = this.message;
    const { repository } = this.dependencies;
    const record: ExecutionRecord = {
      tenantId,
      runId,
      deliveryId,
      mode: this.run.mode,
      attempt,
      outcome,
      recordedAt: this.dependencies.now().toISOString(),
      idempotencyKey: idempotencyKeyOf(tenantId, deliveryId, attempt),
      ...extra,
    };
    const created = await repository.recordExecution(
      record,
      this.run.deliveryIds.length,
    );
    const stored = created
      ? record
      : await repository.getExecution(tenantId, runId, deliveryId);
    return { kind: 'recorded', record: stored ?? record };
  }

  async requeue(
    attempt: number,
    delaySeconds: number,
    reason: string,
  ): Promise<RetryHandling> {
    const delay = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, delaySeconds));
    await this.dependencies.queue.send([{ ...this.message, attempt }], delay);
    return { kind: 'requeued', attempt, delaySeconds: delay, reason };
  }

  /** Records a delivery whose state this run or an earlier one settled. */
  async settled(delivery: Delivery): Promise<RetryHandling> {
    const byThisRun = delivery.lastAttemptRunId === this.run.runId;
    const outcomes: Record<Delivery['state'], ExecutionOutcome> = {
      delivered: 'delivered',
      undeliverable: 'failed',
      exhausted: 'exhausted',
      failed: 'failed',
    };
    if (byThisRun) {
      return this.record(outcomes[delivery.state], delivery.attempts, {
        statusCode: delivery.lastAttempt?.statusCode,
        detail: `the delivery is ${delivery.state}`,
      });
    }
    return this.record('skipped', delivery.attempts, {
      detail: `the delivery was already ${delivery.state}`,
    });
  }
}

/**
 * Handles one retry message.
 *
 * @throws Error when the worker run does not exist, a write fails or the
 *   delivery changed concurrently. The message then returns to the queue,
 *   and after `maxReceiveCount` receives SQS moves it to the dead-letter
 *   queue.
 */
export async function processRetryMessage(
  dependencies: RetryWorkerDependencies,
  message: RetryMessage,
  context: MessageContext,
): Promise<RetryHandling> {
  const { repository } = dependencies;
  const { tenantId, runId, deliveryId } = message;
  // Independent reads go out together: each round trip adds latency.
  const [existing, run, loaded] = await Promise.all([
    repository.getExecution(tenantId, runId, deliveryId),
    repository.getWorkerRun(tenantId, runId),
    repository.getDelivery(tenantId, deliveryId),
  ]);
  if (existing) {
    return { kind: 'recorded', record: existing };
  }
  if (!run) {
    throw new Error(`Worker run ${runId} of tenant ${tenantId} was not found`);
  }
  const attempt = new RetryAttempt(dependencies, message, context, run);

  if (!loaded) {
    return attempt.record('skipped', message.attempt, {
      detail: 'the delivery was not found',
    });
  }
  const { delivery, version } = loaded;
  const retryable =
    delivery.state === 'failed' ||
    (message.redrive === true && delivery.state === 'exhausted');
  if (!retryable) {
    return attempt.settled(delivery);
  }
  if (run.mode === 'dry_run') {
    return attempt.record('would_retry', delivery.attempts + 1, {
      detail: `would send attempt ${delivery.attempts + 1} to ${delivery.route}`,
    });
  }
  return sendLiveAttempt(attempt, delivery, version);
}

async function sendLiveAttempt(
  attempt: RetryAttempt,
  delivery: Delivery,
  version: number,
): Promise<RetryHandling> {
  const { dependencies, message, context } = attempt;
  const now = dependencies.now();
  const number = delivery.attempts + 1;

  if (message.attempt < number) {
    // Another message already made this attempt. Only the message that made
    // it, received again after a crash, queues the next attempt.
    if (delivery.lastAttemptMessageId === context.messageId) {
      return attempt.requeue(
        number,
        secondsUntil(delivery.nextAttemptAt ?? now.toISOString(), now),
        'follow-up of a redelivered attempt',
      );
    }
    // A message of another run, such as a newer plan's, leaves this run's
    // delivery to that run, but this run still records how it ended.
    if (delivery.lastAttemptRunId !== attempt.run.runId) {
      return attempt.record('skipped', delivery.attempts, {
        detail: `attempt ${message.attempt} was made by worker run ${delivery.lastAttemptRunId ?? 'unknown'}`,
      });
    }
    return {
      kind: 'dropped',
      reason: `attempt ${message.attempt} was already made`,
    };
  }
  const policy = dependencies.policyFor(delivery.route);
  const limit = message.attemptLimit ?? policy.maxAttempts;
  if (number > limit) {
    // The limit can be lower than the plan's, so the delivery ends here.
    const exhausted: Delivery = {
      ...delivery,
      state: 'exhausted',
      nextAttemptAt: undefined,
    };
    if (!(await dependencies.repository.updateDelivery(exhausted, version))) {
      throw new Error(
        `Delivery ${delivery.deliveryId} changed while it was marked exhausted; the message will be retried`,
      );
    }
    return attempt.record('exhausted', delivery.attempts, {
      detail: `all ${limit} attempts are used`,
    });
  }
  if (
    delivery.nextAttemptAt &&
    Date.parse(delivery.nextAttemptAt) > now.getTime()
  ) {
    return attempt.requeue(
      number,
      secondsUntil(delivery.nextAttemptAt, now),
      `not due before ${delivery.nextAttemptAt}`,
    );
  }

  const [circuit, closeout] = await Promise.all([
    dependencies.circuits.get(delivery.route),
    dependencies.repository.getCloseout(message.tenantId, delivery.closeoutId),
  ]);
  if (!closeout) {
    return attempt.record('cancelled', delivery.attempts, {
      detail: `closeout ${delivery.closeoutId} is no longer stored`,
    });
  }
  const admission = admit(circuit, now);
  if (admission.kind === 'open') {
    return attempt.requeue(
      number,
      secondsUntil(admission.retryAt, now),
      `circuit of ${delivery.route} is open`,
    );
  }
  if (admission.kind === 'probe') {
    const leaseUntil = new Date(
      now.getTime() +
        dependencies.circuitPolicyFor(delivery.route).probeLeaseSeconds * 1000,
    );
    if (
      !(await dependencies.circuits.acquireProbe(
        delivery.route,
        now,
        leaseUntil,
      ))
    ) {
      return attempt.requeue(
        number,
        dependencies.circuitPolicyFor(delivery.route).probeLeaseSeconds,
        `another worker probes ${delivery.route}`,
      );
    }
  }

  const result = await sendOnce(attempt, delivery, number, closeout);
  return settleAttempt(attempt, delivery, version, number, result, circuit);
}

async function sendOnce(
  attempt: RetryAttempt,
  delivery: Delivery,
  number: number,
  closeout: CloseoutEvidence | undefined,
): Promise<SendResult> {
  const { dependencies } = attempt;
  if (!closeout) {
    return { error: `closeout ${delivery.closeoutId} was not found` };
  }
  const send = makeIdempotent(
    async (request: SendRequest): Promise<SendResult> => {
      const connector = await dependencies.resolveConnector(request.route);
      if (!connector) {
        return {
          error: `no connector is configured for route ${request.route}`,
        };
      }
      const sent = await sendToConnector(
        connector,
        request.payload,
        request.idempotencyKey,
      );
      return sent.result;
    },
    {
      persistenceStore: dependencies.persistence,
      config: dependencies.idempotencyConfig,
    },
  );
  return send({
    idempotencyKey: idempotencyKeyOf(
      delivery.tenantId,
      delivery.deliveryId,
      number,
    ),
    route: delivery.route,
    payload: buildCloseoutPayload(closeout, delivery, number),
  });
}

async function settleAttempt(
  attempt: RetryAttempt,
  delivery: Delivery,
  version: number,
  number: number,
  result: SendResult,
  circuit: CircuitState | undefined,
): Promise<RetryHandling> {
  const { dependencies, message, context, run } = attempt;
  const now = dependencies.now();
  const { classification, retryAfterSeconds } = classifySend(result, now);
  const policy = dependencies.policyFor(delivery.route);
  const limit = message.attemptLimit ?? policy.maxAttempts;
  const base: Delivery = {
    ...delivery,
    attempts: number,
    lastAttempt: {
      at: now.toISOString(),
      classification,
      statusCode: result.statusCode,
      error: result.error,
    },
    lastAttemptRunId: run.runId,
    lastAttemptMessageId: context.messageId,
    nextAttemptAt: undefined,
  };
  let next: Delivery;
  if (classification === 'delivered') {
    next = { ...base, state: 'delivered', deliveredAt: now.toISOString() };
  } else if (classification === 'not_retryable') {
    next = { ...base, state: 'undeliverable' };
  } else if (number >= limit) {
    next = { ...base, state: 'exhausted' };
  } else {
    const backoff = backoffSeconds(number, policy, delivery.deliveryId);
    const wait = Math.max(backoff, retryAfterSeconds ?? 0);
    next = {
      ...base,
      state: 'failed',
      nextAttemptAt: new Date(now.getTime() + wait * 1000).toISOString(),
    };
  }
  if (!(await dependencies.repository.updateDelivery(next, version))) {
    throw new Error(
      `Delivery ${delivery.deliveryId} changed while attempt ${number} was sent; the message will be retried`,
    );
  }
  await updateCircuit(
    dependencies,
    delivery.route,
    classification,
    circuit,
    now,
  );

  if (next.state === 'failed' && next.nextAttemptAt) {
    return attempt.requeue(
      number + 1,
      secondsUntil(next.nextAttemptAt, now),
      result.error ?? `connector returned ${result.statusCode}`,
    );
  }
  return attempt.settled(next);
}

async function updateCircuit(
  dependencies: RetryWorkerDependencies,
  route: string,
  classification: string,
  before: CircuitState | undefined,
  now: Date,
): Promise<void> {
  if (classification === 'retryable') {
    await dependencies.circuits.update(route, (state) =>
      recordFailure(state, route, now, dependencies.circuitPolicyFor(route)),
    );
  } else if (before && (before.failures > 0 || before.openUntil)) {
    // A closed circuit without failures, as read before the send, needs no
    // write; a failure recorded since then expires with its window.
    await dependencies.circuits.update(route, () => recordSuccess(route, now));
  }
}
