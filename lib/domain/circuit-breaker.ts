/**
 * Circuit breaker of a connector route: after repeated retryable failures in
 * a short window, deliveries to the route wait instead of calling it, and a
 * single probe decides when the route is used again.
 */

export interface CircuitPolicy {
  /** Retryable failures within the window that open the circuit. */
  failureThreshold: number;
  windowSeconds: number;
  /** Seconds that an open circuit stays open before a probe. */
  openSeconds: number;
  /** Seconds that a probe holds its lease; another probe may start after. */
  probeLeaseSeconds: number;
}

export const DEFAULT_CIRCUIT_POLICY: CircuitPolicy = {
  failureThreshold: 5,
  windowSeconds: 60,
  openSeconds: 60,
  probeLeaseSeconds: 30,
};

/** The stored state of one route's circuit. */
export interface CircuitState {
  route: string;
  failures: number;
  windowStartedAt: string;
  /** Set while the circuit is open or waiting for its probe. */
  openUntil?: string | undefined;
  probeLeaseUntil?: string | undefined;
}

export type Admission =
  | { kind: 'closed' }
  | { kind: 'probe' }
  | { kind: 'open'; retryAt: string };

/**
 * Decides whether a send to the route may go ahead now. `probe` means the
 * circuit waited long enough and the caller must win the probe lease before
 * it sends.
 */
export function admit(state: CircuitState | undefined, now: Date): Admission {
  if (!state?.openUntil) {
    return { kind: 'closed' };
  }
  const openUntil = Date.parse(state.openUntil);
  if (now.getTime() < openUntil) {
    return { kind: 'open', retryAt: state.openUntil };
  }
  const lease = state.probeLeaseUntil ? Date.parse(state.probeLeaseUntil) : 0;
  if (now.getTime() < lease) {
    return { kind: 'open', retryAt: state.probeLeaseUntil ?? state.openUntil };
  }
  return { kind: 'probe' };
}

/** Returns the state after a retryable failure at `now`. */
export function recordFailure(
  state: CircuitState | undefined,
  route: string,
  now: Date,
  policy: CircuitPolicy,
): CircuitState {
  const windowStart = state ? Date.parse(state.windowStartedAt) : 0;
  const inWindow = now.getTime() - windowStart < policy.windowSeconds * 1000;
  const failures = inWindow && state ? state.failures + 1 : 1;
  const wasProbing = Boolean(state?.openUntil);
  const opens = wasProbing || failures >= policy.failureThreshold;
  const openUntil = new Date(now.getTime() + policy.openSeconds * 1000);
  return {
    route,
    failures,
    windowStartedAt:
      inWindow && state ? state.windowStartedAt : now.toISOString(),
    openUntil: opens ? openUntil.toISOString() : undefined,
    probeLeaseUntil: undefined,
  };
}

/** Returns the closed state after a delivered send. */
export function recordSuccess(route: string, now: Date): CircuitState {
  return { route, failures: 0, windowStartedAt: now.toISOString() };
}
