/**
 * Retry rules for failed deliveries: backoff, response classification and
 * the retry plan.
 */
import { daysBetween } from './calendar.ts';
import { canonicalJson, deriveId, sha256Hex } from './digest.ts';
import type {
  AttemptOutcome,
  CloseoutEvidence,
  Delivery,
  RetryDecision,
  RetryPlan,
} from './model.ts';

/** Exponential backoff with full jitter, capped. */
export interface RetryPolicy {
  baseSeconds: number;
  factor: number;
  capSeconds: number;
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseSeconds: 30,
  factor: 2,
  capSeconds: 6 * 60 * 60,
  maxAttempts: 8,
};

/** SQS rejects a `DelaySeconds` above this value. */
export const MAX_SQS_DELAY_SECONDS = 900;

function unitInterval(seed: string): number {
  // The first 52 bits of a digest give a uniform value in [0, 1) that is the
  // same for the same seed, so a plan can be recomputed and compared.
  return Number.parseInt(sha256Hex(seed).slice(0, 13), 16) / 2 ** 52;
}

/**
 * Returns the wait in whole seconds before the attempt after `failedAttempt`.
 *
 * Full jitter draws the wait from `[1, min(cap, base * factor^(n - 1))]`,
 * using `jitterSeed` in place of a random number. Any attempt number,
 * including zero, negative, fractional, huge or NaN, gives a finite wait of
 * at least one second.
 */
export function backoffSeconds(
  failedAttempt: number,
  policy: RetryPolicy,
  jitterSeed: string,
): number {
  // NaN and attempts below 1 count as the first; an infinite one as huge.
  const attempt =
    Number.isNaN(failedAttempt) || failedAttempt < 1
      ? 1
      : Math.min(Math.floor(failedAttempt), Number.MAX_SAFE_INTEGER);
  const growth = policy.factor ** (attempt - 1);
  const ceiling = Math.min(policy.capSeconds, policy.baseSeconds * growth);
  const bounded = Number.isFinite(ceiling) ? ceiling : policy.capSeconds;
  const wait = Math.floor(unitInterval(`${jitterSeed}:${attempt}`) * bounded);
  return Math.max(1, Math.min(wait, Math.floor(policy.capSeconds)));
}

/**
 * Reads a `Retry-After` header, in seconds or as an HTTP date, and returns
 * the wait in whole seconds, or `undefined` when the header is absent or
 * invalid.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date,
): number | undefined {
  if (!value) {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number.parseInt(trimmed, 10);
  }
  // An HTTP date names the day or month in letters and has a clock time.
  // Anything else, such as "1.5" or "-5", is invalid, even where Date.parse
  // would read it as a date.
  if (!/[A-Za-z]{3}/.test(trimmed) || !/\d{2}:\d{2}:\d{2}/.test(trimmed)) {
    return undefined;
  }
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) {
    return undefined;
  }
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** The result of one send: an HTTP status or a network error. */
export interface SendResult {
  statusCode?: number | undefined;
  retryAfter?: string | null | undefined;
  error?: string | undefined;
}

/** Classification of a send result, with any wait that the receiver asked for. */
export interface Classification {
  classification: AttemptOutcome['classification'];
  retryAfterSeconds?: number | undefined;
}

/**
 * Classifies a send: 2xx is delivered; 408, 429, 5xx and network errors are
 * retryable; any other status is not retryable.
 */
export function classifySend(result: SendResult, now: Date): Classification {
  const status = result.statusCode;
  if (status === undefined) {
    return { classification: 'retryable' };
  }
  if (status >= 200 && status < 300) {
    return { classification: 'delivered' };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterSeconds = parseRetryAfter(result.retryAfter, now);
    return retryAfterSeconds === undefined
      ? { classification: 'retryable' }
      : { classification: 'retryable', retryAfterSeconds };
  }
  return { classification: 'not_retryable' };
}

export interface RetryPlanInput {
  tenantId: string;
  deliveries: Delivery[];
  closeouts: CloseoutEvidence[];
  /** Earlier decisions by delivery id, for owner and target date. */
  previous: Map<string, RetryDecision>;
  asOf: Date;
  today: string;
  /** When the plan is made; orders it after earlier plans. */
  createdAt: Date;
  policy: RetryPolicy;
  owner?: string | undefined;
  targetResolutionDate?: string | undefined;
}

function decide(
  delivery: Delivery,
  closeout: CloseoutEvidence | undefined,
  input: RetryPlanInput,
): Pick<RetryDecision, 'decision' | 'reason' | 'nextAttemptAt'> {
  if (!closeout) {
    return {
      decision: 'cancel',
      reason: `closeout ${delivery.closeoutId} is no longer stored, so its evidence needs no delivery`,
    };
  }
  const retention = closeout.retention;
  const retainUntil = retention?.retainUntil;
  if (
    retainUntil &&
    !retention.legalHold &&
    daysBetween(input.today, retainUntil) < 0
  ) {
    return {
      decision: 'cancel',
      reason: `retention expired on ${retainUntil}, so the evidence no longer needs delivery`,
    };
  }
  if (delivery.attempts >= input.policy.maxAttempts) {
    return {
      decision: 'suppress',
      reason: `all ${input.policy.maxAttempts} attempts are used`,
    };
  }
  if (delivery.lastAttempt?.classification === 'not_retryable') {
    const status = delivery.lastAttempt.statusCode ?? 'an error';
    return {
      decision: 'suppress',
      reason: `the connector rejected the last attempt with ${status}, which is not retryable`,
    };
  }
  const dueAt = delivery.nextAttemptAt;
  if (dueAt && Date.parse(dueAt) > input.asOf.getTime()) {
    return {
      decision: 'wait',
      reason: `backoff until ${dueAt}`,
      nextAttemptAt: dueAt,
    };
  }
  return {
    decision: 'retry',
    reason: `attempt ${delivery.attempts + 1} of ${input.policy.maxAttempts} is due`,
    nextAttemptAt: input.asOf.toISOString(),
  };
}

/**
 * Plans a decision for every failed delivery. The plan id depends only on
 * the tenant and each delivery's decision, attempt, owner and target date,
 * so planning the same failures again gives the same plan.
 */
export function planRetries(input: RetryPlanInput): RetryPlan {
  const closeouts = new Map(
    input.closeouts.map((closeout) => [closeout.closeoutId, closeout]),
  );
  const decisions: RetryDecision[] = input.deliveries
    .filter((delivery) => delivery.state === 'failed')
    .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId))
    .map((delivery) => {
      const previous = input.previous.get(delivery.deliveryId);
      const outcome = decide(
        delivery,
        closeouts.get(delivery.closeoutId),
        input,
      );
      return {
        deliveryId: delivery.deliveryId,
        ...outcome,
        attempt: delivery.attempts + 1,
        owner: input.owner ?? previous?.owner ?? 'unassigned',
        targetResolutionDate:
          input.targetResolutionDate ??
          previous?.targetResolutionDate ??
          input.today,
      };
    });

  const identity = decisions.map((item) => [
    item.deliveryId,
    item.decision,
    item.attempt,
    item.owner,
    item.targetResolutionDate,
  ]);
  return {
    tenantId: input.tenantId,
    planId: deriveId('rp', input.tenantId, identity),
    source: 'planned',
    createdAt: input.createdAt.toISOString(),
    decisions,
    contentHash: sha256Hex(canonicalJson(decisions)),
  };
}
