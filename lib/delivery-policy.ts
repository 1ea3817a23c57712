/**
 * Per-connector overrides of the retry and circuit breaker policies, as they
 * appear in a route's connector setting: `{"retry": {...}, "circuit": {...}}`.
 */
import * as z from 'zod';
import {
  type CircuitPolicy,
  DEFAULT_CIRCUIT_POLICY,
} from './domain/circuit-breaker.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './domain/retry.ts';

/** Backoff settings of one connector; unset fields keep the defaults. */
export const RetryPolicySettingsSchema = z.strictObject({
  baseSeconds: z.number().min(1).max(3_600).optional(),
  factor: z.number().min(1).max(10).optional(),
  capSeconds: z.number().min(1).max(86_400).optional(),
  maxAttempts: z.int().min(1).max(100).optional(),
});

/** Circuit breaker settings of one connector; unset fields keep the defaults. */
export const CircuitPolicySettingsSchema = z.strictObject({
  failureThreshold: z.int().min(1).max(10_000).optional(),
  windowSeconds: z.int().min(1).max(86_400).optional(),
  openSeconds: z.int().min(1).max(86_400).optional(),
  probeLeaseSeconds: z.int().min(1).max(900).optional(),
});

/** The policy fields that a connector setting may carry. */
export interface DeliveryPolicySettings {
  retry?: z.output<typeof RetryPolicySettingsSchema> | undefined;
  circuit?: z.output<typeof CircuitPolicySettingsSchema> | undefined;
}

type Defined<T> = { [Key in keyof T]?: Exclude<T[Key], undefined> };

function withoutUndefined<T extends object>(value: T | undefined): Defined<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined),
  ) as Defined<T>;
}

/**
 * Returns a connector's retry policy: its overrides over the defaults, with
 * `maxAttempts` from the service setting unless the connector sets a lower
 * one.
 */
export function retryPolicyOf(
  setting: DeliveryPolicySettings | undefined,
  maxAttempts: number,
): RetryPolicy {
  const policy = {
    ...DEFAULT_RETRY_POLICY,
    maxAttempts,
    ...withoutUndefined(setting?.retry),
  };
  // A connector may stop earlier than the service, never later, because the
  // health rules and the planner count attempts against the service limit.
  return {
    ...policy,
    maxAttempts: Math.min(policy.maxAttempts, maxAttempts),
    capSeconds: Math.max(policy.capSeconds, policy.baseSeconds),
  };
}

/** Returns a connector's circuit breaker policy. */
export function circuitPolicyOf(
  setting: DeliveryPolicySettings | undefined,
): CircuitPolicy {
  return { ...DEFAULT_CIRCUIT_POLICY, ...withoutUndefined(setting?.circuit) };
}
