/**
 * Retention health rules: turns the evidence of a tenant into findings, one
 * rule a function, and assembles the health report.
 */
import { calendarDateIn, daysBetween } from './calendar.ts';
import { canonicalJson, deriveId, sha256Hex } from './digest.ts';
import type {
  CloseoutEvidence,
  Delivery,
  Finding,
  FindingCategory,
  HealthReport,
  HealthState,
  RetryDecision,
  RetryPlan,
  Severity,
  WorkerRun,
} from './model.ts';
import { decideRelease } from './release-decision.ts';

/** Everything that one evaluation reads about a tenant. */
export interface TenantEvidence {
  tenantId: string;
  closeouts: CloseoutEvidence[];
  deliveries: Delivery[];
  retryPlans: RetryPlan[];
  workerRuns: WorkerRun[];
}

export interface EvaluationOptions {
  asOf: Date;
  /** IANA time zone that decides the calendar date of `asOf`. */
  zone: string;
  /** Days before `retainUntil` from which a warning is raised. */
  warningDays: number;
  /** Days before `retainUntil` from which the finding is critical. */
  criticalDays: number;
  /** Delivery attempts after which no retry is left. */
  maxAttempts: number;
}

export const DEFAULT_EVALUATION_OPTIONS = {
  zone: 'UTC',
  warningDays: 30,
  criticalDays: 7,
  maxAttempts: 8,
} as const;

const SHA256_PATTERN = /^(sha256:)?[0-9a-f]{64}$/i;

/** Tells whether a bundle file carries a valid SHA-256 digest. */
export function hasValidDigest(file: { sha256?: string | undefined }): boolean {
  return Boolean(file.sha256 && SHA256_PATTERN.test(file.sha256));
}

function finding(
  tenantId: string,
  closeoutId: string,
  category: FindingCategory,
  severity: Severity,
  subjectId: string,
  message: string,
  daysRemaining?: number,
): Finding {
  return {
    fingerprint: deriveId('f', tenantId, category, severity, subjectId),
    category,
    severity,
    closeoutId,
    subjectId,
    message,
    ...(daysRemaining === undefined ? {} : { daysRemaining }),
  };
}

function retentionFindings(
  closeout: CloseoutEvidence,
  today: string,
  options: EvaluationOptions,
): Finding[] {
  const { tenantId, closeoutId } = closeout;
  const retention = closeout.retention;
  const findings: Finding[] = [];

  if (retention?.state !== 'approved') {
    const state = retention ? `is ${retention.state}` : 'is missing';
    findings.push(
      finding(
        tenantId,
        closeoutId,
        'retention_approval_missing',
        'critical',
        closeoutId,
        `The retention decision of ${closeoutId} ${state}; it must be approved.`,
      ),
    );
  }
  if (retention?.legalHold) {
    return findings;
  }

  const retainUntil = retention?.retainUntil;
  if (!retainUntil) {
    findings.push(
      finding(
        tenantId,
        closeoutId,
        'retention_until_missing',
        'warning',
        closeoutId,
        `The retention decision of ${closeoutId} has no retain-until date and no legal hold.`,
      ),
    );
    return findings;
  }

  const daysRemaining = daysBetween(today, retainUntil);
  if (daysRemaining < 0) {
    findings.push(
      finding(
        tenantId,
        closeoutId,
        'retention_expired',
        'critical',
        closeoutId,
        `Retention of ${closeoutId} expired on ${retainUntil}, ${-daysRemaining} days ago.`,
        daysRemaining,
      ),
    );
  } else if (daysRemaining <= options.warningDays) {
    const severity =
      daysRemaining <= options.criticalDays ? 'critical' : 'warning';
    findings.push(
      finding(
        tenantId,
        closeoutId,
        'retention_expiring',
        severity,
        closeoutId,
        `Retention of ${closeoutId} ends on ${retainUntil}, in ${daysRemaining} days.`,
        daysRemaining,
      ),
    );
  }
  return findings;
}

function artifactFindings(closeout: CloseoutEvidence): Finding[] {
  const { tenantId, closeoutId } = closeout;
  const bundle = closeout.artifactBundle;
  if (!bundle) {
    return [
      finding(
        tenantId,
        closeoutId,
        'artifact_bundle_missing',
        'critical',
        closeoutId,
        `Closed closeout ${closeoutId} has no artifact bundle.`,
      ),
    ];
  }
  return bundle.files
    .filter((file) => !hasValidDigest(file))
    .map((file) =>
      finding(
        tenantId,
        closeoutId,
        'artifact_digest_invalid',
        'warning',
        `${bundle.bundleId}/${file.name}`,
        `File ${file.name} of bundle ${bundle.bundleId} lacks a valid SHA-256 digest.`,
      ),
    );
}

/** Returns the newest decision about each delivery, across all plans. */
export function latestRetryDecisions(
  plans: RetryPlan[],
): Map<string, RetryDecision> {
  const latest = new Map<string, RetryDecision>();
  const byAge = [...plans].sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt),
  );
  for (const plan of byAge) {
    for (const decision of plan.decisions) {
      latest.set(decision.deliveryId, decision);
    }
  }
  return latest;
}

function deliveryFindings(
  delivery: Delivery,
  decision: RetryDecision | undefined,
  options: EvaluationOptions,
): Finding[] {
  const { tenantId, closeoutId, deliveryId } = delivery;
  const undeliverable = (reason: string) => [
    finding(
      tenantId,
      closeoutId,
      'closeout_delivery_undeliverable',
      'critical',
      deliveryId,
      `Delivery ${deliveryId} to ${delivery.route} failed and ${reason}.`,
    ),
  ];

  switch (delivery.state) {
    case 'delivered':
      return [];
    case 'exhausted':
      return undeliverable(`used all ${delivery.attempts} attempts`);
    case 'undeliverable':
      return undeliverable('the connector rejected it as not retryable');
    case 'failed':
      break;
  }
  if (!decision) {
    return undeliverable('has no retry plan');
  }
  if (decision.decision === 'cancel') {
    return [];
  }
  if (decision.decision === 'suppress') {
    return undeliverable(`its retries are suppressed: ${decision.reason}`);
  }
  if (delivery.attempts >= options.maxAttempts) {
    return undeliverable(`used all ${delivery.attempts} attempts`);
  }
  return [
    finding(
      tenantId,
      closeoutId,
      'closeout_delivery_failed',
      'warning',
      deliveryId,
      `Delivery ${deliveryId} to ${delivery.route} failed; a retry is planned (decision ${decision.decision}, owner ${decision.owner}).`,
    ),
  ];
}

/** Returns the highest severity among the findings, or `healthy`. */
export function healthStateOf(findings: Finding[]): HealthState {
  if (findings.some((item) => item.severity === 'critical')) {
    return 'critical';
  }
  return findings.length > 0 ? 'warning' : 'healthy';
}

/**
 * Evaluates every rule for a tenant as of an instant and returns the report.
 * The report id is derived from the tenant, the options and the evidence, so
 * evaluating the same evidence as of the same instant gives the same id.
 */
export function evaluateHealth(
  evidence: TenantEvidence,
  options: EvaluationOptions,
  evaluatedAt: Date = new Date(),
): HealthReport {
  const today = calendarDateIn(options.asOf, options.zone);
  const decisions = latestRetryDecisions(evidence.retryPlans);
  const findings: Finding[] = [];

  for (const closeout of evidence.closeouts) {
    if (closeout.closeoutState === 'closed') {
      findings.push(...artifactFindings(closeout));
      findings.push(...retentionFindings(closeout, today, options));
    }
  }
  for (const delivery of evidence.deliveries) {
    const decision = decisions.get(delivery.deliveryId);
    findings.push(...deliveryFindings(delivery, decision, options));
  }

  const releaseDecisions = evidence.closeouts.map((closeout) =>
    decideRelease({
      closeout,
      findings: findings.filter(
        (item) => item.closeoutId === closeout.closeoutId,
      ),
      decisions,
      workerRuns: evidence.workerRuns,
      today,
    }),
  );
  const evidenceDigest = sha256Hex(canonicalJson(evidence));
  const asOf = options.asOf.toISOString();
  const windows = [
    options.warningDays,
    options.criticalDays,
    options.maxAttempts,
  ];

  return {
    tenantId: evidence.tenantId,
    reportId: deriveId(
      'hr',
      evidence.tenantId,
      asOf,
      options.zone,
      windows,
      evidenceDigest,
    ),
    asOf,
    zone: options.zone,
    today,
    healthState: healthStateOf(findings),
    findings,
    releaseDecisions,
    evidenceDigest,
    evaluatedAt: evaluatedAt.toISOString(),
  };
}
