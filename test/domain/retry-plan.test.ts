import { describe, expect, it } from 'vitest';

import type { CloseoutEvidence, Delivery } from '#lib/domain/model.ts';
import {
  DEFAULT_RETRY_POLICY,
  planRetries,
  type RetryPlanInput,
} from '#lib/domain/retry.ts';

import {
  closeout,
  delivery,
  randomId,
  retention,
  retryDecision,
} from '../support/fixtures.ts';

const AS_OF = '2026-05-31T12:00:00.000Z';
const TENANT_ID = randomId('tenant');

function planInput(
  deliveries: Delivery[],
  overrides: Partial<RetryPlanInput> = {},
): RetryPlanInput {
  return {
    tenantId: TENANT_ID,
    deliveries,
    closeouts: deliveries.map((item) =>
      closeout({ tenantId: TENANT_ID, closeoutId: item.closeoutId }),
    ),
    previous: new Map(),
    asOf: new Date(AS_OF),
    today: '2026-05-31',
    createdAt: new Date(AS_OF),
    policy: DEFAULT_RETRY_POLICY,
    ...overrides,
  };
}

function decisionFor(item: Delivery, closeouts?: CloseoutEvidence[]) {
  const plan = planRetries(planInput([item], closeouts ? { closeouts } : {}));

  return plan.decisions[0];
}

describe('planRetries', () => {
  it('retries a failed delivery that is due', () => {
    const item = delivery({ attempts: 2 });

    const decision = decisionFor(item);

    expect(decision).toMatchObject({
      deliveryId: item.deliveryId,
      decision: 'retry',
      attempt: 3,
      nextAttemptAt: AS_OF,
    });
  });

  it('retries when nextAttemptAt has passed', () => {
    const item = delivery({ nextAttemptAt: '2026-05-31T11:59:59.000Z' });

    const decision = decisionFor(item);

    expect(decision?.decision).toBe('retry');
  });

  it('waits when nextAttemptAt is in the future', () => {
    const nextAttemptAt = '2026-05-31T13:00:00.000Z';
    const item = delivery({ nextAttemptAt });

    const decision = decisionFor(item);

    expect(decision).toMatchObject({ decision: 'wait', nextAttemptAt });
  });

  it('suppresses when attempts are exhausted', () => {
    const item = delivery({ attempts: DEFAULT_RETRY_POLICY.maxAttempts });

    const decision = decisionFor(item);

    expect(decision?.decision).toBe('suppress');
    expect(decision?.reason).toContain('attempts are used');
  });

  it('suppresses after a non-retryable attempt', () => {
    const item = delivery({
      lastAttempt: {
        at: '2026-05-31T08:00:00.000Z',
        classification: 'not_retryable',
        statusCode: 404,
      },
    });

    const decision = decisionFor(item);

    expect(decision?.decision).toBe('suppress');
    expect(decision?.reason).toContain('404');
  });

  it('cancels when retention has expired', () => {
    const owner = closeout({
      retention: retention({ retainUntil: '2026-05-30' }),
    });
    const item = delivery({ closeoutId: owner.closeoutId });

    const decision = decisionFor(item, [owner]);

    expect(decision?.decision).toBe('cancel');
    expect(decision?.reason).toContain('2026-05-30');
  });

  it('retries expired retention under legal hold', () => {
    const owner = closeout({
      retention: retention({ retainUntil: '2026-05-30', legalHold: true }),
    });
    const item = delivery({ closeoutId: owner.closeoutId });

    const decision = decisionFor(item, [owner]);

    expect(decision?.decision).toBe('retry');
  });

  it('retries on the last day of retention', () => {
    const owner = closeout({
      retention: retention({ retainUntil: '2026-05-31' }),
    });
    const item = delivery({ closeoutId: owner.closeoutId });

    const decision = decisionFor(item, [owner]);

    expect(decision?.decision).toBe('retry');
  });

  it('plans only failed deliveries, sorted by id', () => {
    const deliveries = [
      delivery({ deliveryId: 'delivery-b' }),
      delivery({ deliveryId: 'delivery-c', state: 'delivered' }),
      delivery({ deliveryId: 'delivery-d', state: 'exhausted' }),
      delivery({ deliveryId: 'delivery-a' }),
    ];

    const plan = planRetries(planInput(deliveries));

    expect(plan.decisions.map((item) => item.deliveryId)).toEqual([
      'delivery-a',
      'delivery-b',
    ]);
  });

  it('keeps owner and target date', () => {
    const item = delivery();
    const earlier = retryDecision({
      deliveryId: item.deliveryId,
      owner: 'earlier-owner',
      targetResolutionDate: '2026-06-07',
    });
    const previous = new Map([[item.deliveryId, earlier]]);

    const plan = planRetries(planInput([item], { previous }));

    expect(plan.decisions[0]).toMatchObject({
      owner: 'earlier-owner',
      targetResolutionDate: '2026-06-07',
    });
  });

  it('defaults owner and target date', () => {
    const item = delivery();

    const decision = decisionFor(item);

    expect(decision).toMatchObject({
      owner: 'unassigned',
      targetResolutionDate: '2026-05-31',
    });
  });

  it('derives the same plan id for the same failures', () => {
    const item = delivery();

    const first = planRetries(planInput([item]));
    const second = planRetries(
      planInput([structuredClone(item)], {
        createdAt: new Date('2026-05-31T12:05:00.000Z'),
      }),
    );

    expect(second.planId).toBe(first.planId);
    expect(second.contentHash).toBe(first.contentHash);
  });

  it('derives another plan id when a decision changes', () => {
    const item = delivery();
    const waiting = { ...item, nextAttemptAt: '2026-05-31T13:00:00.000Z' };

    const first = planRetries(planInput([item]));
    const second = planRetries(planInput([waiting]));

    expect(second.planId).not.toBe(first.planId);
    expect(second.contentHash).not.toBe(first.contentHash);
  });

  it('makes another plan for another owner', () => {
    const item = delivery();

    const first = planRetries(planInput([item], { owner: 'owner-a' }));
    const second = planRetries(planInput([item], { owner: 'owner-b' }));

    expect(second.planId).not.toBe(first.planId);
    expect(second.contentHash).not.toBe(first.contentHash);
  });

  it('scopes the plan id to the tenant', () => {
    const item = delivery();

    const first = planRetries(planInput([item]));
    const second = planRetries(
      planInput([item], { tenantId: randomId('tenant') }),
    );

    expect(second.planId).not.toBe(first.planId);
  });

  it('cancels when the closeout is no longer stored', () => {
    const plan = planRetries(planInput([delivery()], { closeouts: [] }));

    expect(plan.decisions[0]?.decision).toBe('cancel');
  });
});
