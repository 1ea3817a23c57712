import { describe, expect, it } from 'vitest';

import { evaluateHealth, type TenantEvidence } from '#lib/domain/health.ts';
import type {
  CloseoutEvidence,
  FindingCategory,
  RiskException,
  WorkerRun,
} from '#lib/domain/model.ts';

import {
  artifactBundle,
  closeout,
  delivery,
  evaluationOptions,
  randomId,
  retention,
  retryDecision,
  retryPlan,
  riskException,
  tenantEvidence,
  workerRun,
} from '../support/fixtures.ts';

// Today is 2026-05-31 in UTC.
const AS_OF = '2026-05-31T12:00:00Z';

function decisionFor(evidence: TenantEvidence) {
  const report = evaluateHealth(evidence, evaluationOptions(AS_OF));

  return report.releaseDecisions[0];
}

interface FailedDeliveryCase {
  exceptions?: RiskException[];
  runs?: (deliveryId: string) => WorkerRun[];
}

/**
 * Builds the evidence of a closed closeout whose only delivery failed and has
 * a `retry` decision. By default an exception covers the failure and a dry
 * run over the delivery completed.
 */
function failedDeliveryEvidence(options: FailedDeliveryCase = {}) {
  const item = closeout({
    exceptions: options.exceptions ?? [riskException()],
  });
  const failed = delivery({
    tenantId: item.tenantId,
    closeoutId: item.closeoutId,
  });
  const plan = retryPlan([retryDecision({ deliveryId: failed.deliveryId })]);
  const runs = options.runs ?? ((id: string) => [workerRun([id])]);

  return tenantEvidence({
    tenantId: item.tenantId,
    closeouts: [item],
    deliveries: [failed],
    retryPlans: [plan],
    workerRuns: runs(failed.deliveryId),
  });
}

function closeoutEvidence(item: CloseoutEvidence) {
  return tenantEvidence({ tenantId: item.tenantId, closeouts: [item] });
}

describe('decideRelease', () => {
  it('blocks an open closeout', () => {
    const item = closeout({ closeoutState: 'open' });

    const decision = decisionFor(closeoutEvidence(item));

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'closeout_open',
    ]);
  });

  it('returns ready_for_release without findings', () => {
    const item = closeout();

    const decision = decisionFor(closeoutEvidence(item));

    expect(decision).toMatchObject({
      closeoutId: item.closeoutId,
      releaseId: item.releaseId,
      state: 'ready_for_release',
    });
  });

  it('accepts a covered failure with a dry run', () => {
    const evidence = failedDeliveryEvidence();

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('ready_with_accepted_risk');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'accepted_risk',
    ]);
  });

  it('accepts an exception that expires today', () => {
    const exception = riskException({ expiresOn: '2026-05-31' });
    const evidence = failedDeliveryEvidence({ exceptions: [exception] });

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('ready_with_accepted_risk');
  });

  it('blocks with exception_expired after expiry', () => {
    const exception = riskException({ expiresOn: '2026-05-30' });
    const evidence = failedDeliveryEvidence({ exceptions: [exception] });

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons).toHaveLength(1);
    expect(decision?.reasons[0]?.code).toBe('exception_expired');
    expect(decision?.reasons[0]?.message).toContain('2026-05-30');
  });

  it('names the latest expired exception', () => {
    const exceptions = [
      riskException({ expiresOn: '2026-04-30' }),
      riskException({ expiresOn: '2026-05-15' }),
    ];
    const evidence = failedDeliveryEvidence({ exceptions });

    const decision = decisionFor(evidence);

    expect(decision?.reasons[0]?.message).toContain('expired on 2026-05-15');
  });

  it('blocks an uncovered warning with finding_not_covered', () => {
    const evidence = failedDeliveryEvidence({ exceptions: [] });

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'finding_not_covered',
    ]);
  });

  it.each([
    {
      case: 'another subject',
      exception: riskException({ subjectIds: [randomId('delivery')] }),
    },
    {
      case: 'another category',
      exception: riskException({ categories: ['retention_expiring'] }),
    },
  ])('ignores an exception for $case', ({ exception }) => {
    const evidence = failedDeliveryEvidence({ exceptions: [exception] });

    const decision = decisionFor(evidence);

    expect(decision?.reasons[0]?.code).toBe('finding_not_covered');
  });

  it('accepts a covered retention warning', () => {
    const item = closeout({
      retention: retention({ retainUntil: '2026-06-20' }),
      exceptions: [riskException({ categories: ['retention_expiring'] })],
    });

    const decision = decisionFor(closeoutEvidence(item));

    expect(decision?.state).toBe('ready_with_accepted_risk');
  });

  it('blocks a covered critical with critical_finding', () => {
    const item = closeout({
      retention: retention({ retainUntil: '2026-06-03' }),
      exceptions: [riskException({ categories: ['retention_expiring'] })],
    });

    const decision = decisionFor(closeoutEvidence(item));

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'critical_finding',
    ]);
  });

  it.each<{ category: FindingCategory; item: () => CloseoutEvidence }>([
    {
      category: 'artifact_bundle_missing',
      item: () => closeout({ artifactBundle: undefined }),
    },
    {
      category: 'retention_approval_missing',
      item: () => closeout({ retention: retention({ state: 'pending' }) }),
    },
    {
      category: 'retention_expired',
      item: () =>
        closeout({ retention: retention({ retainUntil: '2026-05-01' }) }),
    },
  ])('blocks $category even when covered', ({ category, item }) => {
    const exception = riskException({
      categories: [category],
      expiresOn: '2026-12-31',
    });
    const covered = { ...item(), exceptions: [exception] };

    const decision = decisionFor(closeoutEvidence(covered));

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([category]);
  });

  it.each([
    { case: 'no worker run', runs: () => [] },
    {
      case: 'a live run only',
      runs: (id: string) => [workerRun([id], { mode: 'live' })],
    },
    {
      case: 'a dry run still started',
      runs: (id: string) => [
        workerRun([id], { state: 'started', completedAt: undefined }),
      ],
    },
    {
      case: 'a dry run of another delivery',
      runs: () => [workerRun([randomId('delivery')])],
    },
  ])('blocks with dry_run_missing for $case', ({ runs }) => {
    const evidence = failedDeliveryEvidence({ runs });

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'dry_run_missing',
    ]);
  });

  it('blocks a failed delivery without plan', () => {
    const item = closeout({ exceptions: [riskException()] });
    const failed = delivery({
      tenantId: item.tenantId,
      closeoutId: item.closeoutId,
    });
    const evidence = tenantEvidence({
      tenantId: item.tenantId,
      closeouts: [item],
      deliveries: [failed],
    });

    const decision = decisionFor(evidence);

    expect(decision?.state).toBe('blocked');
    expect(decision?.reasons).toEqual([
      expect.objectContaining({
        code: 'retry_plan_missing',
        subjectId: failed.deliveryId,
      }),
    ]);
  });

  it('lists every blocking reason', () => {
    const item = closeout({
      artifactBundle: artifactBundle({ files: [{ name: 'a.json' }] }),
      retention: retention({ state: 'denied' }),
    });

    const decision = decisionFor(closeoutEvidence(item));

    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'finding_not_covered',
      'retention_approval_missing',
    ]);
  });

  it('blocks a covered suppressed delivery as critical', () => {
    const exception = riskException({
      categories: ['closeout_delivery_undeliverable'],
    });
    const item = closeout({ exceptions: [exception] });
    const failed = delivery({
      tenantId: item.tenantId,
      closeoutId: item.closeoutId,
    });
    const plan = retryPlan([
      retryDecision({ deliveryId: failed.deliveryId, decision: 'suppress' }),
    ]);
    const evidence = tenantEvidence({
      tenantId: item.tenantId,
      closeouts: [item],
      deliveries: [failed],
      retryPlans: [plan],
    });

    const decision = decisionFor(evidence);

    expect(decision?.reasons.map((reason) => reason.code)).toEqual([
      'critical_finding',
    ]);
  });
});
