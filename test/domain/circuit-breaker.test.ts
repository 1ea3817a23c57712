import { describe, expect, it } from 'vitest';
import {
  admit,
  type CircuitPolicy,
  type CircuitState,
  recordFailure,
  recordSuccess,
} from '../../lib/domain/circuit-breaker.ts';

const POLICY: CircuitPolicy = {
  failureThreshold: 3,
  windowSeconds: 60,
  openSeconds: 30,
  probeLeaseSeconds: 10,
};
const START = new Date('2026-06-01T10:00:00Z');

function secondsLater(seconds: number): Date {
  return new Date(START.getTime() + seconds * 1000);
}

function failures(count: number, spacingSeconds = 1): CircuitState | undefined {
  let state: CircuitState | undefined;
  for (let index = 0; index < count; index += 1) {
    state = recordFailure(
      state,
      'route',
      secondsLater(index * spacingSeconds),
      POLICY,
    );
  }
  return state;
}

describe('admit', () => {
  it('admits sends to a route without state', () => {
    expect(admit(undefined, START)).toEqual({ kind: 'closed' });
  });

  it('admits sends below the failure threshold', () => {
    expect(admit(failures(2), secondsLater(2))).toEqual({ kind: 'closed' });
  });

  it('holds sends once the threshold is reached', () => {
    const state = failures(3);

    expect(admit(state, secondsLater(3))).toEqual({
      kind: 'open',
      retryAt: secondsLater(32).toISOString(),
    });
  });

  it('admits one probe after the open period', () => {
    expect(admit(failures(3), secondsLater(33))).toEqual({ kind: 'probe' });
  });

  it('holds sends while a probe holds its lease', () => {
    const state = {
      ...failures(3),
      probeLeaseUntil: secondsLater(40).toISOString(),
    } as CircuitState;

    expect(admit(state, secondsLater(35))).toEqual({
      kind: 'open',
      retryAt: secondsLater(40).toISOString(),
    });
  });
});

describe('recordFailure', () => {
  it('starts a new window after windowSeconds', () => {
    const state = failures(3, 40);

    expect(state?.failures).toBe(1);
    expect(state?.openUntil).toBeUndefined();
  });

  it('reopens the circuit when the probe fails', () => {
    const probing = failures(3);

    const state = recordFailure(probing, 'route', secondsLater(40), POLICY);

    expect(state.openUntil).toBe(secondsLater(70).toISOString());
  });
});

describe('recordSuccess', () => {
  it('closes the circuit', () => {
    const state = recordSuccess('route', secondsLater(40));

    expect(admit(state, secondsLater(40))).toEqual({ kind: 'closed' });
    expect(state.failures).toBe(0);
  });
});
