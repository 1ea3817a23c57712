import { describe, expect, it } from 'vitest';

import { evaluateHealth } from '#lib/domain/health.ts';
import type {
  Delivery,
  DeliveryState,
  RetryDecisionKind,
} from '#lib/domain/model.ts';

import {
  delivery,
  evaluationOptions,
  retryDecision,
  retryPlan,
  tenantEvidence,
} from '../support/fixtures.ts';

const AS_OF = '2026-05-31T12:00:00Z';

function evaluateDelivery(item: Delivery, decision?: RetryDecisionKind) {
  const plans = decision
    ? [retryPlan([retryDecision({ deliveryId: item.deliveryId, decision })])]
    : [];
  const evidence = tenantEvidence({ deliveries: [item], retryPlans: plans });

  return evaluateHealth(evidence, evaluationOptions(AS_OF));
}

describe('evaluateHealth', () => {
  it.each([
    { case: 'retry', attempts: 1, decision: 'retry' },
    { case: 'wait', attempts: 1, decision: 'wait' },
    { case: 'retry with one attempt left', attempts: 7, decision: 'retry' },
  ] as const)('returns delivery_failed warning for $case', (row) => {
    const item = delivery({ attempts: row.attempts });

    const report = evaluateDelivery(item, row.decision);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'closeout_delivery_failed',
      severity: 'warning',
      closeoutId: item.closeoutId,
      subjectId: item.deliveryId,
    });
  });

  it.each<{
    case: string;
    state: DeliveryState;
    attempts: number;
    decision?: RetryDecisionKind;
  }>([
    { case: 'failed without plan', state: 'failed', attempts: 1 },
    {
      case: 'failed and suppressed',
      state: 'failed',
      attempts: 1,
      decision: 'suppress',
    },
    {
      case: 'failed at maxAttempts',
      state: 'failed',
      attempts: 8,
      decision: 'retry',
    },
    {
      case: 'failed past maxAttempts',
      state: 'failed',
      attempts: 9,
      decision: 'wait',
    },
    { case: 'exhausted', state: 'exhausted', attempts: 8 },
    {
      case: 'exhausted with a plan',
      state: 'exhausted',
      attempts: 8,
      decision: 'retry',
    },
    { case: 'undeliverable', state: 'undeliverable', attempts: 1 },
  ])('returns critical undeliverable when $case', (row) => {
    const item = delivery({ state: row.state, attempts: row.attempts });

    const report = evaluateDelivery(item, row.decision);

    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      category: 'closeout_delivery_undeliverable',
      severity: 'critical',
      subjectId: item.deliveryId,
    });
  });

  it('returns no finding for a cancelled retry', () => {
    const item = delivery();

    const report = evaluateDelivery(item, 'cancel');

    expect(report.findings).toEqual([]);
  });

  it('returns no finding for a delivered delivery', () => {
    const item = delivery({
      state: 'delivered',
      deliveredAt: '2026-05-31T08:00:00.000Z',
    });

    const report = evaluateDelivery(item);

    expect(report.findings).toEqual([]);
  });

  it('honours maxAttempts from the options', () => {
    const item = delivery({ attempts: 3 });
    const plan = retryPlan([retryDecision({ deliveryId: item.deliveryId })]);
    const evidence = tenantEvidence({
      deliveries: [item],
      retryPlans: [plan],
    });

    const report = evaluateHealth(
      evidence,
      evaluationOptions(AS_OF, { maxAttempts: 3 }),
    );

    expect(report.findings[0]?.category).toBe(
      'closeout_delivery_undeliverable',
    );
  });

  it('uses the newest retry decision', () => {
    const item = delivery();
    const older = retryPlan(
      [retryDecision({ deliveryId: item.deliveryId, decision: 'suppress' })],
      { createdAt: '2026-05-30T08:00:00.000Z' },
    );
    const newer = retryPlan(
      [retryDecision({ deliveryId: item.deliveryId, decision: 'retry' })],
      { createdAt: '2026-05-31T08:00:00.000Z' },
    );
    const evidence = tenantEvidence({
      deliveries: [item],
      retryPlans: [newer, older],
    });

    const report = evaluateHealth(evidence, evaluationOptions(AS_OF));

    expect(report.findings[0]?.category).toBe('closeout_delivery_failed');
  });
});
