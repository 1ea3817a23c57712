import { describe, expect, it } from 'vitest';

import {
  assertTimeZone,
  calendarDateIn,
  daysBetween,
} from '#lib/domain/calendar.ts';
import { ValidationError } from '#lib/errors.ts';

describe('daysBetween', () => {
  it.each([
    { from: '2026-05-31', to: '2026-05-31', days: 0 },
    { from: '2026-05-31', to: '2026-06-01', days: 1 },
    { from: '2026-06-01', to: '2026-05-31', days: -1 },
    { from: '2026-05-31', to: '2027-05-31', days: 365 },
    { from: '2026-12-31', to: '2027-01-01', days: 1 },
    { from: '2028-02-28', to: '2028-03-01', days: 2 },
    { from: '2026-03-28', to: '2026-03-30', days: 2 },
    { from: '2026-10-24', to: '2026-10-26', days: 2 },
  ])('returns $days from $from to $to', ({ from, to, days }) => {
    const result = daysBetween(from, to);

    expect(result).toBe(days);
  });
});

describe('calendarDateIn', () => {
  it.each([
    { instant: '2026-05-31T23:59:59Z', zone: 'UTC', date: '2026-05-31' },
    {
      instant: '2026-05-31T11:59:59Z',
      zone: 'Pacific/Auckland',
      date: '2026-05-31',
    },
    {
      instant: '2026-05-31T12:00:00Z',
      zone: 'Pacific/Auckland',
      date: '2026-06-01',
    },
    {
      instant: '2026-06-01T03:00:00Z',
      zone: 'America/Los_Angeles',
      date: '2026-05-31',
    },
    {
      instant: '2026-03-28T23:30:00Z',
      zone: 'Europe/Berlin',
      date: '2026-03-29',
    },
    {
      instant: '2026-03-29T22:30:00Z',
      zone: 'Europe/Berlin',
      date: '2026-03-30',
    },
  ])('returns $date for $instant in $zone', ({ instant, zone, date }) => {
    const result = calendarDateIn(new Date(instant), zone);

    expect(result).toBe(date);
  });
});

describe('assertTimeZone', () => {
  it.each(['UTC', 'Europe/Berlin', 'Pacific/Auckland'])(
    'accepts %s',
    (zone) => {
      const check = () => assertTimeZone(zone);

      expect(check).not.toThrow();
    },
  );

  it('rejects Mars/Olympus with ValidationError', () => {
    const check = () => assertTimeZone('Mars/Olympus');

    expect(check).toThrow(ValidationError);
  });

  it('names the zone in the issue', () => {
    let issues: ValidationError['issues'] = [];

    try {
      assertTimeZone('Mars/Olympus');
    } catch (error) {
      issues = error instanceof ValidationError ? error.issues : [];
    }

    expect(issues).toEqual([
      {
        path: '$.zone',
        message: 'expected an IANA time zone, received "Mars/Olympus"',
      },
    ]);
  });
});
