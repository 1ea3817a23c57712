import { describe, expect, it } from 'vitest';
import {
  ALWAYS_AT_RISK,
  closeoutAtRiskFrom,
  deliveryAtRiskFrom,
} from '#lib/domain/risk.ts';
import {
  artifactBundle,
  closeout,
  delivery,
  retention,
  VALID_SHA256,
} from '../support/fixtures.ts';

describe('closeoutAtRiskFrom', () => {
  it.each([
    {
      name: 'an approved retention',
      item: () =>
        closeout({ retention: retention({ retainUntil: '2027-05-31' }) }),
      expected: '2027-05-31',
    },
    {
      name: 'a legal hold',
      item: () => closeout({ retention: retention({ legalHold: true }) }),
      expected: undefined,
    },
    {
      name: 'an open closeout',
      item: () => closeout({ closeoutState: 'open' }),
      expected: undefined,
    },
    {
      name: 'a pending retention',
      item: () => closeout({ retention: retention({ state: 'pending' }) }),
      expected: ALWAYS_AT_RISK,
    },
    {
      name: 'a missing retain-until date',
      item: () =>
        closeout({ retention: retention({ retainUntil: undefined }) }),
      expected: ALWAYS_AT_RISK,
    },
    {
      name: 'a missing bundle',
      item: () => closeout({ artifactBundle: undefined }),
      expected: ALWAYS_AT_RISK,
    },
    {
      name: 'an invalid digest',
      item: () =>
        closeout({
          artifactBundle: artifactBundle({
            files: [
              { name: 'a.json', sha256: VALID_SHA256 },
              { name: 'b.json', sha256: 'short' },
            ],
          }),
        }),
      expected: ALWAYS_AT_RISK,
    },
  ])('returns $expected for $name', ({ item, expected }) => {
    expect(closeoutAtRiskFrom(item())).toBe(expected);
  });
});

describe('deliveryAtRiskFrom', () => {
  it.each([
    ['failed', ALWAYS_AT_RISK],
    ['exhausted', ALWAYS_AT_RISK],
    ['undeliverable', ALWAYS_AT_RISK],
    ['delivered', undefined],
  ] as const)('gives a %s delivery %s', (state, expected) => {
    expect(deliveryAtRiskFrom(delivery({ state }))).toBe(expected);
  });
});
