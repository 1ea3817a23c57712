import { describe, expect, it } from 'vitest';

import { evaluateHealth } from '#lib/domain/health.ts';
import type { CloseoutEvidence } from '#lib/domain/model.ts';

import {
  artifactBundle,
  closeout,
  evaluationOptions,
  retention,
  tenantEvidence,
  VALID_SHA256,
} from '../support/fixtures.ts';

// Today is 2026-05-31 in UTC, the default zone.
const AS_OF = '2026-05-31T12:00:00Z';

function evaluateCloseout(item: CloseoutEvidence) {
  const evidence = tenantEvidence({ closeouts: [item] });

  return evaluateHealth(evidence, evaluationOptions(AS_OF));
}

function categoriesOf(item: CloseoutEvidence): string[] {
  return evaluateCloseout(item).findings.map((entry) => entry.category);
}

describe('evaluateHealth', () => {
  it('returns no findings for intact evidence', () => {
    const report = evaluateCloseout(closeout());

    expect(report.findings).toEqual([]);
  });

  it.each([
    {
      retainUntil: '2026-05-30',
      daysRemaining: -1,
      category: 'retention_expired',
      severity: 'critical',
    },
    {
      retainUntil: '2026-05-31',
      daysRemaining: 0,
      category: 'retention_expiring',
      severity: 'critical',
    },
    {
      retainUntil: '2026-06-07',
      daysRemaining: 7,
      category: 'retention_expiring',
      severity: 'critical',
    },
    {
      retainUntil: '2026-06-08',
      daysRemaining: 8,
      category: 'retention_expiring',
      severity: 'warning',
    },
    {
      retainUntil: '2026-06-30',
      daysRemaining: 30,
      category: 'retention_expiring',
      severity: 'warning',
    },
  ])(
    'returns $severity $category at $daysRemaining days',
    ({ retainUntil, daysRemaining, category, severity }) => {
      const item = closeout({ retention: retention({ retainUntil }) });

      const report = evaluateCloseout(item);

      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        category,
        severity,
        daysRemaining,
        closeoutId: item.closeoutId,
        subjectId: item.closeoutId,
      });
    },
  );

  it('returns no retention finding at 31 days', () => {
    const item = closeout({
      retention: retention({ retainUntil: '2026-07-01' }),
    });

    const report = evaluateCloseout(item);

    expect(report.findings).toEqual([]);
  });

  it('applies custom warning and critical windows', () => {
    const item = closeout({
      retention: retention({ retainUntil: '2026-06-10' }),
    });
    const evidence = tenantEvidence({ closeouts: [item] });
    const options = evaluationOptions(AS_OF, {
      warningDays: 14,
      criticalDays: 10,
    });

    const report = evaluateHealth(evidence, options);

    expect(report.findings[0]).toMatchObject({
      category: 'retention_expiring',
      severity: 'critical',
      daysRemaining: 10,
    });
  });

  it('returns retention_until_missing without retainUntil', () => {
    const item = closeout({
      retention: retention({ retainUntil: undefined }),
    });

    const report = evaluateCloseout(item);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'retention_until_missing',
      severity: 'warning',
    });
  });

  it.each([
    { case: 'expired', retainUntil: '2026-05-30' },
    { case: 'critical expiring', retainUntil: '2026-06-07' },
    { case: 'expiring', retainUntil: '2026-06-20' },
    { case: 'missing', retainUntil: undefined },
  ])('suppresses $case retention under legal hold', ({ retainUntil }) => {
    const item = closeout({
      retention: retention({ retainUntil, legalHold: true }),
    });

    const report = evaluateCloseout(item);

    expect(report.findings).toEqual([]);
  });

  it('keeps retention_approval_missing under legal hold', () => {
    const item = closeout({
      retention: retention({
        state: 'pending',
        retainUntil: undefined,
        legalHold: true,
      }),
    });

    const categories = categoriesOf(item);

    expect(categories).toEqual(['retention_approval_missing']);
  });

  it.each(['pending', 'deferred', 'denied', 'expired'] as const)(
    'returns critical approval missing when %s',
    (state) => {
      const item = closeout({ retention: retention({ state }) });

      const report = evaluateCloseout(item);

      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        category: 'retention_approval_missing',
        severity: 'critical',
      });
      expect(report.findings[0]?.message).toContain(`is ${state}`);
    },
  );

  it('returns approval and date missing without a decision', () => {
    const item = closeout({ retention: undefined });

    const categories = categoriesOf(item);

    expect(categories).toEqual([
      'retention_approval_missing',
      'retention_until_missing',
    ]);
  });

  it('returns critical artifact_bundle_missing without a bundle', () => {
    const item = closeout({ artifactBundle: undefined });

    const report = evaluateCloseout(item);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'artifact_bundle_missing',
      severity: 'critical',
      subjectId: item.closeoutId,
    });
  });

  it.each([
    { case: 'missing', sha256: undefined },
    { case: 'empty', sha256: '' },
    { case: 'short', sha256: 'f71c3a0b' },
    { case: '63 hex digits', sha256: VALID_SHA256.slice(1) },
    { case: '65 hex digits', sha256: `${VALID_SHA256}0` },
    { case: 'non-hex', sha256: 'g'.repeat(64) },
    { case: 'prefixed short', sha256: `sha256:${VALID_SHA256.slice(1)}` },
    { case: 'other algorithm', sha256: `md5:${VALID_SHA256}` },
    { case: 'padded', sha256: ` ${VALID_SHA256}` },
  ])('returns artifact_digest_invalid when $case', ({ sha256 }) => {
    const bundle = artifactBundle({
      files: [{ name: 'summary.json', sha256 }],
    });
    const item = closeout({ artifactBundle: bundle });

    const report = evaluateCloseout(item);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'artifact_digest_invalid',
      severity: 'warning',
      subjectId: `${bundle.bundleId}/summary.json`,
    });
  });

  it.each([
    { case: 'lower-case hex', sha256: VALID_SHA256 },
    { case: 'upper-case hex', sha256: VALID_SHA256.toUpperCase() },
    { case: 'sha256: prefix', sha256: `sha256:${VALID_SHA256}` },
  ])('accepts a $case digest', ({ sha256 }) => {
    const bundle = artifactBundle({
      files: [{ name: 'summary.json', sha256 }],
    });
    const item = closeout({ artifactBundle: bundle });

    const report = evaluateCloseout(item);

    expect(report.findings).toEqual([]);
  });

  it('returns one digest finding per invalid file', () => {
    const bundle = artifactBundle({
      files: [
        { name: 'a.json', sha256: 'short' },
        { name: 'b.json', sha256: VALID_SHA256 },
        { name: 'c.json' },
      ],
    });
    const item = closeout({ artifactBundle: bundle });

    const report = evaluateCloseout(item);

    expect(report.findings.map((entry) => entry.subjectId)).toEqual([
      `${bundle.bundleId}/a.json`,
      `${bundle.bundleId}/c.json`,
    ]);
  });

  it('skips retention and bundle rules for open closeouts', () => {
    const item = closeout({
      closeoutState: 'open',
      artifactBundle: undefined,
      retention: undefined,
    });

    const report = evaluateCloseout(item);

    expect(report.findings).toEqual([]);
  });
});
