import { describe, expect, it } from 'vitest';

import {
  backoffSeconds,
  classifySend,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
} from '#lib/domain/retry.ts';

import { randomId } from '../support/fixtures.ts';

const NOW = new Date('2026-05-31T08:30:00Z');
const CAP_SECONDS = DEFAULT_RETRY_POLICY.capSeconds;

/** Returns the largest wait over many seeds, which nears the ceiling. */
function maxBackoff(failedAttempt: number): number {
  let max = 0;
  for (let index = 0; index < 500; index += 1) {
    const seed = `delivery-${index}`;
    max = Math.max(
      max,
      backoffSeconds(failedAttempt, DEFAULT_RETRY_POLICY, seed),
    );
  }
  return max;
}

describe('backoffSeconds', () => {
  it.each([
    0,
    1,
    2,
    10,
    1000,
    -5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1.5,
  ])('returns a bounded whole wait for attempt %s', (attempt) => {
    const seed = randomId('delivery');

    const wait = backoffSeconds(attempt, DEFAULT_RETRY_POLICY, seed);

    expect(Number.isInteger(wait)).toBe(true);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(CAP_SECONDS);
  });

  it.each([
    { attempt: 1, ceiling: 30 },
    { attempt: 2, ceiling: 60 },
    { attempt: 3, ceiling: 120 },
    { attempt: 10, ceiling: 15_360 },
  ])(
    'stays within $ceiling s after attempt $attempt',
    ({ attempt, ceiling }) => {
      const max = maxBackoff(attempt);

      expect(max).toBeLessThanOrEqual(ceiling);
    },
  );

  it('grows the wait with each attempt', () => {
    const first = maxBackoff(1);

    const third = maxBackoff(3);

    expect(third).toBeGreaterThan(first);
  });

  it('caps the wait at capSeconds', () => {
    const max = maxBackoff(20);

    expect(max).toBeLessThanOrEqual(CAP_SECONDS);
    expect(max).toBeGreaterThan(CAP_SECONDS / 2);
  });

  it('returns the same wait for the same seed', () => {
    const seed = randomId('delivery');

    const first = backoffSeconds(4, DEFAULT_RETRY_POLICY, seed);
    const second = backoffSeconds(4, DEFAULT_RETRY_POLICY, seed);

    expect(second).toBe(first);
  });

  it('spreads waits across seeds', () => {
    const waits = new Set<number>();

    for (let index = 0; index < 20; index += 1) {
      waits.add(backoffSeconds(6, DEFAULT_RETRY_POLICY, `delivery-${index}`));
    }

    expect(waits.size).toBeGreaterThan(10);
  });
});

describe('classifySend', () => {
  it.each([
    { statusCode: 200, classification: 'delivered' },
    { statusCode: 204, classification: 'delivered' },
    { statusCode: 299, classification: 'delivered' },
    { statusCode: 408, classification: 'retryable' },
    { statusCode: 429, classification: 'retryable' },
    { statusCode: 500, classification: 'retryable' },
    { statusCode: 503, classification: 'retryable' },
    { statusCode: 400, classification: 'not_retryable' },
    { statusCode: 401, classification: 'not_retryable' },
    { statusCode: 404, classification: 'not_retryable' },
    { statusCode: 410, classification: 'not_retryable' },
  ])('returns $classification for $statusCode', (row) => {
    const result = classifySend({ statusCode: row.statusCode }, NOW);

    expect(result).toEqual({ classification: row.classification });
  });

  it('returns retryable for a network error', () => {
    const result = classifySend({ error: 'ECONNRESET' }, NOW);

    expect(result).toEqual({ classification: 'retryable' });
  });

  it('reads Retry-After in seconds on 429', () => {
    const result = classifySend({ statusCode: 429, retryAfter: '120' }, NOW);

    expect(result).toEqual({
      classification: 'retryable',
      retryAfterSeconds: 120,
    });
  });

  it('reads Retry-After as an HTTP date on 429', () => {
    const retryAfter = new Date(NOW.getTime() + 90_000).toUTCString();

    const result = classifySend({ statusCode: 429, retryAfter }, NOW);

    expect(result.retryAfterSeconds).toBe(90);
  });

  it('drops an invalid Retry-After on 429', () => {
    const result = classifySend({ statusCode: 429, retryAfter: 'soon' }, NOW);

    expect(result).toEqual({ classification: 'retryable' });
  });

  it('ignores Retry-After on a non-retryable status', () => {
    const result = classifySend({ statusCode: 400, retryAfter: '120' }, NOW);

    expect(result).toEqual({ classification: 'not_retryable' });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120],
    [' 120 ', 120],
    ['0', 0],
    ['Sun, 31 May 2026 08:31:30 GMT', 90],
    ['Sun, 31 May 2026 08:00:00 GMT', 0],
  ])('parses %j as %i seconds', (value, seconds) => {
    const result = parseRetryAfter(value, NOW);

    expect(result).toBe(seconds);
  });

  it.each([undefined, null, '', 'soon', '1.5', '-5', '+5'])(
    'returns undefined for %j',
    (value) => {
      const result = parseRetryAfter(value, NOW);

      expect(result).toBeUndefined();
    },
  );
});
