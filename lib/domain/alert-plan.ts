/**
 * Alert plans: one public-safe notification per tenant and evaluation, with
 * dedup, silences and a resolved notice when the tenant becomes healthy.
 */
import { deriveId, sha256Hex } from './digest.ts';
import type { HealthReport, HealthState } from './model.ts';

/** The last notice that the service published for a tenant. */
export interface AlertState {
  tenantId: string;
  lastKind: AlertKind;
  lastDedupKey: string;
  lastSentAt: string;
  lastHealthState: HealthState;
}

/** An operator's decision not to alert a tenant until `expiresAt`. */
export interface Silence {
  tenantId: string;
  silenceId: string;
  owner: string;
  reason: string;
  startsAt: string;
  expiresAt: string;
}

export type AlertKind = 'alert' | 'resolved';

/** The allow-listed projection of a report that leaves the service. */
export interface AlertPayload {
  schema: 'closeout-health.alert.v1';
  alertPlanId: string;
  kind: AlertKind;
  tenantId: string;
  reportId: string;
  asOf: string;
  healthState: HealthState;
  counts: { critical: number; warning: number };
  findings: Array<{
    category: string;
    severity: string;
    closeoutId: string;
    subjectId: string;
    daysRemaining?: number;
  }>;
  releaseDecisions: Array<{
    closeoutId: string;
    releaseId: string;
    state: string;
  }>;
}

export interface AlertPlan {
  tenantId: string;
  alertPlanId: string;
  reportId: string;
  kind: AlertKind;
  dedupKey: string;
  routes: string[];
  status: 'published' | 'suppressed';
  suppression?: { reason: string; silenceId?: string } | undefined;
  payload: AlertPayload;
  createdAt: string;
}

export interface AlertPlanInput {
  report: HealthReport;
  state: AlertState | undefined;
  silences: Silence[];
  routes: string[];
  now: Date;
  /** Minutes during which the same dedup key is not sent again. */
  repeatIntervalMinutes: number;
}

/** Digest of the tenant and its sorted finding fingerprints. */
export function dedupKeyOf(report: HealthReport): string {
  const fingerprints = report.findings.map((item) => item.fingerprint).sort();
  return sha256Hex([report.tenantId, ...fingerprints].join('\n'));
}

function projectPayload(
  report: HealthReport,
  alertPlanId: string,
  kind: AlertKind,
): AlertPayload {
  const count = (severity: string) =>
    report.findings.filter((item) => item.severity === severity).length;
  return {
    schema: 'closeout-health.alert.v1',
    alertPlanId,
    kind,
    tenantId: report.tenantId,
    reportId: report.reportId,
    asOf: report.asOf,
    healthState: report.healthState,
    counts: { critical: count('critical'), warning: count('warning') },
    findings: report.findings.map((item) => ({
      category: item.category,
      severity: item.severity,
      closeoutId: item.closeoutId,
      subjectId: item.subjectId,
      ...(item.daysRemaining === undefined
        ? {}
        : { daysRemaining: item.daysRemaining }),
    })),
    releaseDecisions: report.releaseDecisions.map((decision) => ({
      closeoutId: decision.closeoutId,
      releaseId: decision.releaseId,
      state: decision.state,
    })),
  };
}

function suppressionOf(
  input: AlertPlanInput,
  dedupKey: string,
): AlertPlan['suppression'] {
  const now = input.now.getTime();
  const silence = input.silences.find(
    (item) =>
      Date.parse(item.startsAt) <= now && now < Date.parse(item.expiresAt),
  );
  if (silence) {
    return {
      reason: `silenced by ${silence.owner} until ${silence.expiresAt}: ${silence.reason}`,
      silenceId: silence.silenceId,
    };
  }
  const state = input.state;
  const repeatMs = input.repeatIntervalMinutes * 60_000;
  if (
    state?.lastDedupKey === dedupKey &&
    now - Date.parse(state.lastSentAt) < repeatMs
  ) {
    return {
      reason: `the same findings were alerted at ${state.lastSentAt}, within the repeat interval of ${input.repeatIntervalMinutes} minutes`,
    };
  }
  return undefined;
}

/**
 * Plans the alert for a report, or returns `undefined` when no notice is
 * needed: the tenant is healthy and its last notice was not an alert.
 */
export function planAlert(input: AlertPlanInput): AlertPlan | undefined {
  const { report, state } = input;
  let kind: AlertKind;
  let dedupKey: string;

  if (report.healthState !== 'healthy') {
    kind = 'alert';
    dedupKey = dedupKeyOf(report);
  } else if (state?.lastKind === 'alert') {
    kind = 'resolved';
    dedupKey = sha256Hex(`${report.tenantId}\nresolved\n${state.lastDedupKey}`);
  } else {
    return undefined;
  }

  const suppression = suppressionOf(input, dedupKey);
  // A plan to publish takes its id from the findings and the last stored
  // publication, not from the report. So when a publication's record was
  // lost, the next evaluation publishes the same id again, and the consumer
  // skips the routes that already have it. A suppression is per report.
  const alertPlanId = suppression
    ? deriveId('ap', report.tenantId, report.reportId, kind, 'suppressed')
    : deriveId(
        'ap',
        report.tenantId,
        kind,
        dedupKey,
        state?.lastDedupKey ?? '',
        state?.lastSentAt ?? '',
      );
  return {
    tenantId: report.tenantId,
    alertPlanId,
    reportId: report.reportId,
    kind,
    dedupKey,
    routes: input.routes,
    status: suppression ? 'suppressed' : 'published',
    suppression,
    payload: projectPayload(report, alertPlanId, kind),
    createdAt: input.now.toISOString(),
  };
}

/** Returns the alert state after a plan was published, or the old one. */
export function nextAlertState(
  plan: AlertPlan,
  state: AlertState | undefined,
): AlertState | undefined {
  if (plan.status !== 'published') {
    return state;
  }
  return {
    tenantId: plan.tenantId,
    lastKind: plan.kind,
    lastDedupKey: plan.dedupKey,
    lastSentAt: plan.createdAt,
    lastHealthState: plan.payload.healthState,
  };
}
