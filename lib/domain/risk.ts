/**
 * Risk dates of evidence: the calendar date from which the scheduled
 * evaluation must look at a record. A closeout is at risk from the day its
 * retention may raise a finding. A failed delivery and an unresolved alert
 * are at risk at once. Evidence that can raise no finding, such as an
 * approved closeout under legal hold, is never at risk. So the evaluation's
 * cost grows with the evidence at risk, not with every tenant.
 */
import { hasValidDigest } from './health.ts';
import type { CloseoutEvidence, Delivery } from './model.ts';

/** Date of records that are at risk whatever the evaluation date. */
export const ALWAYS_AT_RISK = '0000-00-00';

/**
 * Returns the date from which a closeout may need a finding, or undefined
 * when it never will. Retention findings start `warningDays` before
 * `retainUntil`, so the evaluation compares `retainUntil` with its own date
 * plus that window.
 */
export function closeoutAtRiskFrom(
  closeout: CloseoutEvidence,
): string | undefined {
  if (closeout.closeoutState === 'open') {
    return undefined;
  }
  const bundle = closeout.artifactBundle;
  const retention = closeout.retention;
  if (!bundle?.files.every(hasValidDigest)) {
    return ALWAYS_AT_RISK;
  }
  if (retention?.state !== 'approved') {
    return ALWAYS_AT_RISK;
  }
  if (retention.legalHold) {
    return undefined;
  }
  return retention.retainUntil ?? ALWAYS_AT_RISK;
}

/** Returns the date from which a delivery needs evaluation, or undefined. */
export function deliveryAtRiskFrom(delivery: Delivery): string | undefined {
  return delivery.state === 'delivered' ? undefined : ALWAYS_AT_RISK;
}
