/**
 * The retry worker's handling of one queued delivery: a dry run records what
 * it would send; a live run sends once per idempotency key, updates the
 * delivery and records the outcome.
 */
import {
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { sendToConnector } from '../adapters/connector-client.ts';
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryMessage } from '../adapters/retry-queue.ts';
import type { Connector } from '../config.ts';
import { buildCloseoutPayload } from '../domain/closeout-payload.ts';
import type {
  Delivery,
  ExecutionOutcome,
  ExecutionRecord,
} from '../domain/model.ts';
import {
  backoffSeconds,
  classifySend,
  type RetryPolicy,
  type SendResult,
} from '../domain/retry.ts';

/** Seconds that a live send's result is remembered against a second send. */
const SEND_RESULT_TTL_SECONDS = 7 * 24 * 60 * 60;

export interface RetryWorkerDependencies {
  repository: EvidenceRepository;
  connectors: Record<string, Connector>;
  policy: RetryPolicy;
  now: () => Date;
  persistence: BasePersistenceLayer;
  idempotencyConfig: IdempotencyConfig;
}

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

async function sendLive(
  dependencies: RetryWorkerDependencies,
  request: SendRequest,
): Promise<SendResult> {
  const connector = dependencies.connectors[request.route];
  if (!connector) {
    return { error: `no connector is configured for route ${request.route}` };
  }
  const sent = await sendToConnector(
    connector,
    request.payload,
    request.idempotencyKey,
  );
  return sent.result;
}

function updatedDelivery(
  delivery: Delivery,
  attempt: number,
  result: SendResult,
  dependencies: RetryWorkerDependencies,
): { delivery: Delivery; outcome: ExecutionOutcome } {
  const now = dependencies.now();
  const { classification, retryAfterSeconds } = classifySend(result, now);
  const lastAttempt = {
    at: now.toISOString(),
    classification,
    statusCode: result.statusCode,
    error: result.error,
  };
  const base = { ...delivery, attempts: attempt, lastAttempt };

  if (classification === 'delivered') {
    return {
      delivery: {
        ...base,
        state: 'delivered',
        deliveredAt: now.toISOString(),
        nextAttemptAt: undefined,
      },
      outcome: 'delivered',
    };
  }
  if (classification === 'not_retryable') {
    return {
      delivery: { ...base, state: 'undeliverable', nextAttemptAt: undefined },
      outcome: 'failed',
    };
  }
  if (attempt >= dependencies.policy.maxAttempts) {
    return {
      delivery: { ...base, state: 'exhausted', nextAttemptAt: undefined },
      outcome: 'exhausted',
    };
  }
  const backoff = backoffSeconds(
    attempt,
    dependencies.policy,
    delivery.deliveryId,
  );
  const wait = Math.max(backoff, retryAfterSeconds ?? 0);
  const nextAttemptAt = new Date(now.getTime() + wait * 1000).toISOString();
  return {
    delivery: { ...base, state: 'failed', nextAttemptAt },
    outcome: 'failed',
  };
}

/**
 * Handles one retry message and returns the execution record it stored, or
 * the one stored before for the same run and delivery.
 *
 * @throws Error when the worker run does not exist or a write fails; the
 *   message then returns to the queue and, after `maxReceiveCount`
 *   receives, moves to the dead-letter queue.
 */
export async function processRetryMessage(
  dependencies: RetryWorkerDependencies,
  message: RetryMessage,
): Promise<ExecutionRecord> {
  const { repository } = dependencies;
  const { tenantId, runId, deliveryId, attempt } = message;
  const existing = await repository.getExecution(tenantId, runId, deliveryId);
  if (existing) {
    return existing;
  }
  const run = await repository.getWorkerRun(tenantId, runId);
  if (!run) {
    throw new Error(`Worker run ${runId} of tenant ${tenantId} was not found`);
  }

  const idempotencyKey = `${deliveryId}:${attempt}`;
  const record = (
    outcome: ExecutionOutcome,
    extra: Partial<ExecutionRecord> = {},
  ) => ({
    tenantId,
    runId,
    deliveryId,
    mode: run.mode,
    attempt,
    outcome,
    recordedAt: dependencies.now().toISOString(),
    idempotencyKey,
    ...extra,
  });
  const store = async (execution: ExecutionRecord) => {
    const created = await repository.recordExecution(
      execution,
      run.deliveryIds.length,
    );
    return created
      ? execution
      : ((await repository.getExecution(tenantId, runId, deliveryId)) ??
          execution);
  };

  const loaded = await repository.getDelivery(tenantId, deliveryId);
  if (!loaded) {
    return store(record('skipped', { detail: 'the delivery was not found' }));
  }
  const { delivery, version } = loaded;
  if (delivery.state !== 'failed') {
    return store(
      record('skipped', { detail: `the delivery is ${delivery.state}` }),
    );
  }
  if (run.mode === 'dry_run') {
    return store(
      record('would_retry', {
        detail: `would send attempt ${attempt} to ${delivery.route}`,
      }),
    );
  }

  const closeout = await repository.getCloseout(tenantId, delivery.closeoutId);
  if (!closeout) {
    return store(
      record('cancelled', {
        detail: `closeout ${delivery.closeoutId} was not found`,
      }),
    );
  }
  const send = makeIdempotent(
    (request: SendRequest) => sendLive(dependencies, request),
    {
      persistenceStore: dependencies.persistence,
      config: dependencies.idempotencyConfig,
    },
  );
  const result = await send({
    idempotencyKey,
    route: delivery.route,
    payload: buildCloseoutPayload(closeout, delivery, attempt),
  });
  const next = updatedDelivery(delivery, attempt, result, dependencies);
  if (!(await repository.updateDelivery(next.delivery, version))) {
    throw new Error(
      `Delivery ${deliveryId} changed while it was retried; the message will be retried`,
    );
  }
  return store(
    record(next.outcome, {
      statusCode: result.statusCode,
      detail: result.error ?? `connector answered ${result.statusCode}`,
    }),
  );
}
