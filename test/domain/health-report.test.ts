import { describe, expect, it } from 'vitest';

import { evaluateHealth } from '#lib/domain/health.ts';

import {
  artifactBundle,
  closeout,
  evaluationOptions,
  retention,
  tenantEvidence,
  VALID_SHA256,
} from '../support/fixtures.ts';

const AS_OF = '2026-05-31T12:00:00Z';

describe('evaluateHealth', () => {
  // A retainUntil of 2026-06-01 is 1 day away, so it is critical. An invalid
  // digest is a warning.
  it.each([
    {
      case: 'no findings',
      retainUntil: '2027-05-31',
      sha256: VALID_SHA256,
      severities: [],
      healthState: 'healthy',
    },
    {
      case: 'a warning',
      retainUntil: '2027-05-31',
      sha256: 'not-a-digest',
      severities: ['warning'],
      healthState: 'warning',
    },
    {
      case: 'a critical',
      retainUntil: '2026-06-01',
      sha256: VALID_SHA256,
      severities: ['critical'],
      healthState: 'critical',
    },
    {
      case: 'both severities',
      retainUntil: '2026-06-01',
      sha256: 'not-a-digest',
      severities: ['critical', 'warning'],
      healthState: 'critical',
    },
  ])('returns $healthState with $case', (row) => {
    const item = closeout({
      retention: retention({ retainUntil: row.retainUntil }),
      artifactBundle: artifactBundle({
        files: [{ name: 'a.json', sha256: row.sha256 }],
      }),
    });
    const evidence = tenantEvidence({ closeouts: [item] });

    const report = evaluateHealth(evidence, evaluationOptions(AS_OF));
    const severities = report.findings.map((entry) => entry.severity).sort();

    expect(severities).toEqual(row.severities);
    expect(report.healthState).toBe(row.healthState);
  });

  it('derives the same report id for the same evidence', () => {
    const evidence = tenantEvidence({ closeouts: [closeout()] });
    const options = evaluationOptions(AS_OF);

    const first = evaluateHealth(evidence, options, new Date(AS_OF));
    const second = evaluateHealth(
      structuredClone(evidence),
      options,
      new Date('2026-06-01T00:00:00Z'),
    );

    expect(second.reportId).toBe(first.reportId);
  });

  it('derives another report id when evidence changes', () => {
    const item = closeout();
    const evidence = tenantEvidence({ closeouts: [item] });
    const changed = tenantEvidence({
      tenantId: evidence.tenantId,
      closeouts: [{ ...item, blockerCount: 1 }],
    });
    const options = evaluationOptions(AS_OF);

    const first = evaluateHealth(evidence, options);
    const second = evaluateHealth(changed, options);

    expect(second.reportId).not.toBe(first.reportId);
  });

  it('derives another report id for another asOf', () => {
    const evidence = tenantEvidence({ closeouts: [closeout()] });

    const first = evaluateHealth(evidence, evaluationOptions(AS_OF));
    const second = evaluateHealth(
      evidence,
      evaluationOptions('2026-05-31T12:00:01Z'),
    );

    expect(second.reportId).not.toBe(first.reportId);
  });

  it('records asOf, zone, today and evaluatedAt', () => {
    const evidence = tenantEvidence();
    const options = evaluationOptions(AS_OF, { zone: 'Europe/Berlin' });

    const report = evaluateHealth(
      evidence,
      options,
      new Date('2026-05-31T12:00:05Z'),
    );

    expect(report).toMatchObject({
      tenantId: evidence.tenantId,
      asOf: '2026-05-31T12:00:00.000Z',
      zone: 'Europe/Berlin',
      today: '2026-05-31',
      evaluatedAt: '2026-05-31T12:00:05.000Z',
    });
  });

  // At 20:00 UTC on 31 May it is already 08:00 on 1 June in Auckland
  // (UTC+12), so retention that ends on 8 June has 7 days left there.
  it.each([
    { zone: 'UTC', today: '2026-05-31', daysRemaining: 8, severity: 'warning' },
    {
      zone: 'Pacific/Auckland',
      today: '2026-06-01',
      daysRemaining: 7,
      severity: 'critical',
    },
  ])(
    'counts days from the date in $zone',
    ({ zone, today, daysRemaining, severity }) => {
      const item = closeout({
        retention: retention({ retainUntil: '2026-06-08' }),
      });
      const evidence = tenantEvidence({ closeouts: [item] });
      const options = evaluationOptions('2026-05-31T20:00:00Z', { zone });

      const report = evaluateHealth(evidence, options);

      expect(report.today).toBe(today);
      expect(report.findings[0]).toMatchObject({ daysRemaining, severity });
    },
  );

  // Europe/Berlin moves from UTC+1 to UTC+2 at 01:00 UTC on 2026-03-29, so
  // that local day has 23 hours.
  it.each([
    { asOf: '2026-03-28T22:30:00Z', today: '2026-03-28', daysRemaining: 8 },
    { asOf: '2026-03-28T23:30:00Z', today: '2026-03-29', daysRemaining: 7 },
    { asOf: '2026-03-29T21:30:00Z', today: '2026-03-29', daysRemaining: 7 },
    { asOf: '2026-03-29T22:30:00Z', today: '2026-03-30', daysRemaining: 6 },
  ])(
    'keeps daysRemaining across Berlin DST at $asOf',
    ({ asOf, today, daysRemaining }) => {
      const item = closeout({
        retention: retention({ retainUntil: '2026-04-05' }),
      });
      const evidence = tenantEvidence({ closeouts: [item] });
      const options = evaluationOptions(asOf, { zone: 'Europe/Berlin' });

      const report = evaluateHealth(evidence, options);

      expect(report.today).toBe(today);
      expect(report.findings[0]?.daysRemaining).toBe(daysRemaining);
    },
  );
});
