import { describe, expect, it } from 'vitest';

import { EvidencePackageSchema } from '#lib/domain/evidence-package.ts';
import { evaluateHealth } from '#lib/domain/health.ts';
import { mapEvidencePackage } from '#lib/domain/import-package.ts';
import { parseInput, parseJson } from '#lib/validation.ts';

import {
  evaluationOptions,
  randomId,
  samplePackageText,
} from '../support/fixtures.ts';

const GENERATED_AT = '2026-05-31T08:30:00Z';

function importSamplePackage() {
  const text = samplePackageText();
  const input = parseJson(text, 'evidence package');
  const evidencePackage = parseInput(
    EvidencePackageSchema,
    input,
    'evidence package',
  );

  return mapEvidencePackage(
    randomId('tenant'),
    evidencePackage,
    text,
    new Date(GENERATED_AT),
  );
}

function evaluateSamplePackage(asOf: string) {
  const imported = importSamplePackage();
  const evidence = {
    tenantId: imported.tenantId,
    closeouts: [imported.closeout],
    deliveries: imported.deliveries,
    retryPlans: imported.retryPlans,
    workerRuns: imported.workerRuns,
  };

  return evaluateHealth(evidence, evaluationOptions(asOf));
}

describe('sample evidence package', () => {
  it('maps the failed delivery with its plan and dry run', () => {
    const imported = importSamplePackage();

    expect(imported.deliveries.map((item) => item.deliveryId)).toEqual([
      'connector-delivery-demo-001',
    ]);
    expect(imported.retryPlans[0]?.decisions[0]?.decision).toBe('retry');
    expect(imported.workerRuns[0]).toMatchObject({
      mode: 'dry_run',
      state: 'completed',
      deliveryIds: ['connector-delivery-demo-001'],
    });
    expect(imported.closeout.exceptions[0]?.expiresOn).toBe('2026-06-07');
  });

  it('returns warning as of generated_at', () => {
    const report = evaluateSamplePackage(GENERATED_AT);

    expect(report.healthState).toBe('warning');
  });

  it('returns one delivery_failed finding as of generated_at', () => {
    const report = evaluateSamplePackage(GENERATED_AT);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'closeout_delivery_failed',
      severity: 'warning',
      closeoutId: 'closeout-demo-001',
      subjectId: 'connector-delivery-demo-001',
    });
  });

  it('accepts the risk as of generated_at', () => {
    const report = evaluateSamplePackage(GENERATED_AT);

    expect(report.releaseDecisions).toHaveLength(1);
    expect(report.releaseDecisions[0]).toMatchObject({
      closeoutId: 'closeout-demo-001',
      releaseId: 'release-demo-go-backend-rollback-001',
      state: 'ready_with_accepted_risk',
    });
  });

  it('blocks after the accepted risk expired', () => {
    const report = evaluateSamplePackage('2026-12-04T12:00:00Z');
    const decision = report.releaseDecisions[0];

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons).toHaveLength(1);
    expect(decision?.reasons[0]?.code).toBe('exception_expired');
    expect(decision?.reasons[0]?.message).toContain('2026-06-07');
  });

  it('still accepts the risk on its expiry date', () => {
    const report = evaluateSamplePackage('2026-06-07T23:59:59Z');

    expect(report.releaseDecisions[0]?.state).toBe('ready_with_accepted_risk');
  });

  it('blocks on the day after the expiry date', () => {
    const report = evaluateSamplePackage('2026-06-08T00:00:00Z');

    expect(report.releaseDecisions[0]?.state).toBe('blocked');
  });
});
