/**
 * Release decision of one closeout: `blocked`, `ready_with_accepted_risk` or
 * `ready_for_release`, with every reason listed.
 */
import type {
  CloseoutEvidence,
  DecisionReason,
  Finding,
  FindingCategory,
  ReleaseDecision,
  RetryDecision,
  RiskException,
  WorkerRun,
} from './model.ts';

/** Findings that block a release whatever exception covers them. */
const ALWAYS_BLOCKING: ReadonlySet<FindingCategory> = new Set([
  'artifact_bundle_missing',
  'retention_approval_missing',
  'retention_expired',
]);

export interface ReleaseDecisionInput {
  closeout: CloseoutEvidence;
  findings: Finding[];
  decisions: Map<string, RetryDecision>;
  workerRuns: WorkerRun[];
  /** Calendar date of the evaluation. */
  today: string;
}

function covers(exception: RiskException, item: Finding): boolean {
  const inScope =
    exception.subjectIds.length === 0 ||
    exception.subjectIds.includes(item.subjectId);
  return exception.categories.includes(item.category) && inScope;
}

function describe(item: Finding): string {
  return `${item.category} for ${item.subjectId}`;
}

function hasReviewedDryRun(
  runs: WorkerRun[],
  deliveryId: string,
): WorkerRun | undefined {
  return runs.find(
    (run) =>
      run.mode === 'dry_run' &&
      run.state === 'completed' &&
      run.deliveryIds.includes(deliveryId),
  );
}

/** Returns why one finding blocks the release, or how its risk was accepted. */
function assessFinding(
  input: ReleaseDecisionInput,
  item: Finding,
): { blocking: boolean; reason: DecisionReason } {
  const subjectId = item.subjectId;
  if (ALWAYS_BLOCKING.has(item.category)) {
    return {
      blocking: true,
      reason: { code: item.category, message: item.message, subjectId },
    };
  }
  if (
    item.category === 'closeout_delivery_undeliverable' &&
    !input.decisions.has(subjectId)
  ) {
    return {
      blocking: true,
      reason: {
        code: 'retry_plan_missing',
        message: `Failed delivery ${subjectId} has no retry plan.`,
        subjectId,
      },
    };
  }

  const matching = input.closeout.exceptions.filter((exception) =>
    covers(exception, item),
  );
  const active = matching.find(
    (exception) => exception.expiresOn >= input.today,
  );
  if (!active) {
    const expired = matching.sort((a, b) =>
      b.expiresOn.localeCompare(a.expiresOn),
    )[0];
    const message = expired
      ? `The accepted risk of ${expired.owner} for ${describe(item)} expired on ${expired.expiresOn}; renew the exception or resolve the finding.`
      : `${describe(item)} is neither resolved nor covered by an exception.`;
    const code = expired ? 'exception_expired' : 'finding_not_covered';
    return { blocking: true, reason: { code, message, subjectId } };
  }
  if (item.severity === 'critical') {
    return {
      blocking: true,
      reason: {
        code: 'critical_finding',
        message: `${describe(item)} is critical; an accepted risk cannot release it.`,
        subjectId,
      },
    };
  }
  if (item.category === 'closeout_delivery_failed') {
    const dryRun = hasReviewedDryRun(input.workerRuns, subjectId);
    if (!dryRun) {
      return {
        blocking: true,
        reason: {
          code: 'dry_run_missing',
          message: `Failed delivery ${subjectId} has a retry plan but no completed dry-run worker run.`,
          subjectId,
        },
      };
    }
  }
  return {
    blocking: false,
    reason: {
      code: 'accepted_risk',
      message: `${describe(item)} is covered by the accepted risk of ${active.owner} until ${active.expiresOn}: ${active.reason}`,
      subjectId,
    },
  };
}

/** Decides whether the release of one closeout may go ahead, and why. */
export function decideRelease(input: ReleaseDecisionInput): ReleaseDecision {
  const { closeout } = input;
  const base = {
    closeoutId: closeout.closeoutId,
    releaseId: closeout.releaseId,
  };

  if (closeout.closeoutState === 'open') {
    const reason = {
      code: 'closeout_open',
      message: `Closeout ${closeout.closeoutId} is still open; close it before release.`,
    };
    return { ...base, state: 'blocked', reasons: [reason] };
  }
  if (input.findings.length === 0) {
    const reason = {
      code: 'no_findings',
      message:
        'Retention is approved and in force, the artifact bundle is intact and every delivery was delivered or cancelled.',
    };
    return { ...base, state: 'ready_for_release', reasons: [reason] };
  }

  const assessed = input.findings.map((item) => assessFinding(input, item));
  const blocking = assessed.filter((entry) => entry.blocking);
  if (blocking.length > 0) {
    return {
      ...base,
      state: 'blocked',
      reasons: blocking.map((entry) => entry.reason),
    };
  }
  return {
    ...base,
    state: 'ready_with_accepted_risk',
    reasons: assessed.map((entry) => entry.reason),
  };
}
