import { describe, expect, it } from 'vitest';

import {
  type AlertPlanInput,
  type AlertState,
  dedupKeyOf,
  nextAlertState,
  planAlert,
  type Silence,
} from '#lib/domain/alert-plan.ts';
import { evaluateHealth } from '#lib/domain/health.ts';
import type { HealthReport } from '#lib/domain/model.ts';

import {
  artifactBundle,
  closeout,
  delivery,
  evaluationOptions,
  randomId,
  retention,
  tenantEvidence,
} from '../support/fixtures.ts';

const NOW = '2026-05-31T12:00:00Z';
const REPEAT_MINUTES = 240;
// A fake chat webhook whose path is the credential.
const WEBHOOK_URL = `https://hooks.slack.com/services/T0/B0/${randomId('secret')}`;

/**
 * Evaluates a tenant with two critical findings, one of them an undeliverable
 * delivery to WEBHOOK_URL, and two warnings.
 */
function unhealthyReport(): HealthReport {
  const item = closeout({
    retention: retention({ state: 'denied', retainUntil: '2026-06-20' }),
    artifactBundle: artifactBundle({ files: [{ name: 'notes.txt' }] }),
  });
  const failed = delivery({
    tenantId: item.tenantId,
    closeoutId: item.closeoutId,
    route: WEBHOOK_URL,
  });
  const evidence = tenantEvidence({
    tenantId: item.tenantId,
    closeouts: [item],
    deliveries: [failed],
  });

  return evaluateHealth(evidence, evaluationOptions(NOW));
}

function healthyReport(tenantId: string): HealthReport {
  const evidence = tenantEvidence({
    tenantId,
    closeouts: [closeout({ tenantId })],
  });

  return evaluateHealth(evidence, evaluationOptions(NOW));
}

function alertInput(
  report: HealthReport,
  overrides: Partial<AlertPlanInput> = {},
): AlertPlanInput {
  return {
    report,
    state: undefined,
    silences: [],
    routes: ['ops-alerts'],
    now: new Date(NOW),
    repeatIntervalMinutes: REPEAT_MINUTES,
    ...overrides,
  };
}

function alertedState(
  report: HealthReport,
  minutesAgo: number,
  dedupKey = dedupKeyOf(report),
): AlertState {
  const sentAt = new Date(Date.parse(NOW) - minutesAgo * 60_000);
  return {
    tenantId: report.tenantId,
    lastKind: 'alert',
    lastDedupKey: dedupKey,
    lastSentAt: sentAt.toISOString(),
    lastHealthState: report.healthState,
  };
}

function silence(
  tenantId: string,
  startsAt: string,
  expiresAt: string,
): Silence {
  return {
    tenantId,
    silenceId: randomId('silence'),
    owner: 'platform-operator',
    reason: 'connector maintenance',
    startsAt,
    expiresAt,
  };
}

describe('planAlert', () => {
  it('keeps the plan id of a publication whose record was lost', () => {
    const report = unhealthyReport();
    const later = {
      ...report,
      reportId: 'hr-later',
      asOf: '2026-05-31T13:00:00.000Z',
    };

    const first = planAlert(alertInput(report));
    const retried = planAlert(alertInput(later));

    expect(retried?.alertPlanId).toBe(first?.alertPlanId);
  });

  it('gives a repeat after the interval a new plan id', () => {
    const report = unhealthyReport();
    const first = planAlert(alertInput(report));

    const repeat = planAlert(
      alertInput(report, { state: alertedState(report, REPEAT_MINUTES + 1) }),
    );

    expect(repeat?.status).toBe('published');
    expect(repeat?.alertPlanId).not.toBe(first?.alertPlanId);
  });

  it('plans one alert that groups every finding', () => {
    const report = unhealthyReport();

    const plan = planAlert(alertInput(report));

    expect(plan?.kind).toBe('alert');
    expect(plan?.status).toBe('published');
    expect(plan?.payload.findings).toHaveLength(report.findings.length);
    expect(plan?.payload.counts).toEqual({ critical: 2, warning: 2 });
  });

  it('ignores finding order in the dedup key', () => {
    const report = unhealthyReport();
    const reversed = { ...report, findings: [...report.findings].reverse() };

    const key = dedupKeyOf(reversed);

    expect(key).toBe(dedupKeyOf(report));
  });

  it('derives another dedup key when findings change', () => {
    const report = unhealthyReport();
    const fewer = { ...report, findings: report.findings.slice(1) };

    const key = dedupKeyOf(fewer);

    expect(key).not.toBe(dedupKeyOf(report));
  });

  it('suppresses the same key within the repeat interval', () => {
    const report = unhealthyReport();
    const state = alertedState(report, REPEAT_MINUTES - 1);

    const plan = planAlert(alertInput(report, { state }));

    expect(plan?.status).toBe('suppressed');
    expect(plan?.suppression?.reason).toContain('repeat interval');
  });

  it('publishes the same key after the repeat interval', () => {
    const report = unhealthyReport();
    const state = alertedState(report, REPEAT_MINUTES);

    const plan = planAlert(alertInput(report, { state }));

    expect(plan?.status).toBe('published');
    expect(plan?.suppression).toBeUndefined();
  });

  it('publishes another key within the repeat interval', () => {
    const report = unhealthyReport();
    const state = alertedState(report, 5, 'an-earlier-dedup-key');

    const plan = planAlert(alertInput(report, { state }));

    expect(plan?.status).toBe('published');
  });

  it('suppresses with an active silence', () => {
    const report = unhealthyReport();
    const active = silence(
      report.tenantId,
      '2026-05-31T00:00:00Z',
      '2026-06-01T00:00:00Z',
    );

    const plan = planAlert(alertInput(report, { silences: [active] }));

    expect(plan?.status).toBe('suppressed');
    expect(plan?.suppression?.silenceId).toBe(active.silenceId);
    expect(plan?.suppression?.reason).toContain('connector maintenance');
  });

  it.each([
    {
      case: 'an expired silence',
      startsAt: '2026-05-30T00:00:00Z',
      expiresAt: '2026-05-31T12:00:00Z',
    },
    {
      case: 'a future silence',
      startsAt: '2026-05-31T12:00:01Z',
      expiresAt: '2026-06-01T00:00:00Z',
    },
  ])('ignores $case', ({ startsAt, expiresAt }) => {
    const report = unhealthyReport();
    const inactive = silence(report.tenantId, startsAt, expiresAt);

    const plan = planAlert(alertInput(report, { silences: [inactive] }));

    expect(plan?.status).toBe('published');
  });

  it('resolves once when healthy after an alert', () => {
    const report = healthyReport(randomId('tenant'));
    const alerted = alertedState(report, 60, 'an-alert-dedup-key');

    const resolved = planAlert(alertInput(report, { state: alerted }));
    const state = resolved && nextAlertState(resolved, alerted);
    const repeated = planAlert(alertInput(report, { state }));

    expect(resolved?.kind).toBe('resolved');
    expect(resolved?.status).toBe('published');
    expect(state?.lastKind).toBe('resolved');
    expect(repeated).toBeUndefined();
  });

  it('returns undefined when never alerted', () => {
    const report = healthyReport(randomId('tenant'));

    const plan = planAlert(alertInput(report));

    expect(plan).toBeUndefined();
  });

  it('keeps the alert state when a plan is suppressed', () => {
    const report = unhealthyReport();
    const state = alertedState(report, 1);
    const plan = planAlert(alertInput(report, { state }));

    const next = plan && nextAlertState(plan, state);

    expect(plan?.status).toBe('suppressed');
    expect(next).toBe(state);
  });

  it('omits messages and URLs from the payload', () => {
    const report = unhealthyReport();
    const reasons = report.releaseDecisions.flatMap((item) => item.reasons);

    const plan = planAlert(alertInput(report, { routes: [WEBHOOK_URL] }));
    const text = JSON.stringify(plan?.payload);

    expect(text).not.toContain(WEBHOOK_URL);
    expect(text).not.toContain('https://');
    for (const item of report.findings) {
      expect(text).not.toContain(item.message);
    }
    for (const reason of reasons) {
      expect(text).not.toContain(reason.message);
    }
  });
});
