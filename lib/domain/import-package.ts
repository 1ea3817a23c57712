/**
 * Maps an evidence package onto the records that the service stores. Every
 * id is derived from the tenant and the package, so importing the same file
 * twice yields the same records.
 */

import { ValidationError } from '../errors.ts';
import { canonicalJson, deriveId, sha256Hex } from './digest.ts';
import {
  type EvidencePackage,
  MAX_FAILED_DELIVERIES,
} from './evidence-package.ts';
import type {
  CloseoutEvidence,
  Delivery,
  RetryPlan,
  RiskException,
  WorkerRun,
} from './model.ts';

const FAILED_DELIVERY_STATES = new Set(['failed', 'partial_failure']);

/** The records of one imported package. */
export interface ImportedEvidence {
  tenantId: string;
  packageDigest: string;
  closeout: CloseoutEvidence;
  deliveries: Delivery[];
  retryPlans: RetryPlan[];
  workerRuns: WorkerRun[];
  /** Connector routes that receive the tenant's alerts. */
  alertRoutes: string[];
}

function acceptedRisk(
  tenantId: string,
  evidencePackage: EvidencePackage,
  failedDeliveryIds: string[],
): RiskException[] {
  const risk = evidencePackage.release_decision?.accepted_risk;
  if (!risk) {
    return [];
  }
  // The package's accepted risk covers its failed deliveries, whose retry
  // plan and dry run it cites as compensating evidence.
  return [
    {
      exceptionId: deriveId('ex', tenantId, risk),
      owner: risk.owner,
      reason: risk.reason,
      expiresOn: risk.expires_at,
      categories: ['closeout_delivery_failed'],
      subjectIds: failedDeliveryIds,
      externalReference: risk.external_reference,
      compensatingControl: risk.compensating_control,
    },
  ];
}

function failedDeliveryIds(evidencePackage: EvidencePackage): string[] {
  const summary = evidencePackage.release_closeout_summary;
  const plan = evidencePackage.closeout_retry_plan;
  if (plan) {
    return [plan.source_delivery_id];
  }
  if (!FAILED_DELIVERY_STATES.has(summary.delivery_state ?? '')) {
    return [];
  }
  const referenced = [
    ...new Set(
      summary.public_evidence_refs.filter((ref) => ref.includes('delivery')),
    ),
  ];
  if (referenced.length > MAX_FAILED_DELIVERIES) {
    throw new ValidationError(
      `The package names ${referenced.length} failed deliveries; the limit is ${MAX_FAILED_DELIVERIES}. Split the closeout evidence into several packages.`,
      [
        {
          path: '$.release_closeout_summary.public_evidence_refs',
          message: `expected at most ${MAX_FAILED_DELIVERIES} delivery references`,
        },
      ],
    );
  }
  return referenced.length > 0
    ? referenced
    : [`${summary.closeout_id}-delivery`];
}

/**
 * Builds the records of a validated package.
 *
 * The package does not name the connector of a failed closeout delivery, so
 * the delivery is assigned the route of the package's first alert provider.
 *
 * @param packageText - the file as received, for its digest.
 */
export function mapEvidencePackage(
  tenantId: string,
  evidencePackage: EvidencePackage,
  packageText: string,
  importedAt: Date,
): ImportedEvidence {
  const summary = evidencePackage.release_closeout_summary;
  const closeoutId = summary.closeout_id;
  const packageDigest = sha256Hex(packageText);
  const generatedAt = new Date(evidencePackage.generated_at).toISOString();
  const alertRoutes = (
    evidencePackage.retention_alert_delivery?.providers ?? []
  ).map((provider) => provider.route);
  const failedIds = failedDeliveryIds(evidencePackage);
  const review = evidencePackage.retention_review;
  const bundle = evidencePackage.closeout_artifact_bundle;

  const closeout: CloseoutEvidence = {
    tenantId,
    closeoutId,
    releaseId: evidencePackage.final_readiness_bundle.release_id,
    closeoutState: summary.closeout_state,
    blockerCount: summary.blocker_count,
    artifactBundle: bundle
      ? {
          bundleId: bundle.artifact_bundle_id,
          files: bundle.files.map((file) => ({
            name: file.name,
            sha256: file.sha256 ?? undefined,
          })),
        }
      : undefined,
    retention: review
      ? {
          reviewId: review.review_id,
          state: review.decision_state,
          decidedBy: review.approved_by,
          retainUntil: review.retention_until ?? undefined,
          legalHold: review.legal_hold,
        }
      : undefined,
    exceptions: acceptedRisk(tenantId, evidencePackage, failedIds),
    publicEvidenceRefs: summary.public_evidence_refs,
    packageDigest,
    importedAt: importedAt.toISOString(),
  };

  const deliveries: Delivery[] = failedIds.map((deliveryId) => ({
    tenantId,
    deliveryId,
    closeoutId,
    route: alertRoutes[0] ?? 'unrouted',
    state: 'failed',
    attempts: 1,
  }));

  const retryPlans: RetryPlan[] = [];
  const plan = evidencePackage.closeout_retry_plan;
  if (plan) {
    const decisions = [
      {
        deliveryId: plan.source_delivery_id,
        decision: plan.decision,
        reason: 'imported from the evidence package',
        attempt: 2,
        owner: plan.owner,
        targetResolutionDate: plan.target_resolution_date,
      },
    ];
    retryPlans.push({
      tenantId,
      planId: plan.retry_plan_id,
      source: 'imported',
      createdAt: generatedAt,
      decisions,
      contentHash: sha256Hex(canonicalJson(decisions)),
    });
  }

  const workerRuns: WorkerRun[] = [];
  const run = evidencePackage.retry_worker_run;
  if (run && plan) {
    const completed = run.state === 'completed';
    workerRuns.push({
      tenantId,
      runId: run.worker_run_id,
      planId: plan.retry_plan_id,
      mode: run.mode,
      state: completed ? 'completed' : 'started',
      source: 'imported',
      startedAt: generatedAt,
      completedAt: completed ? generatedAt : undefined,
      deliveryIds: run.would_retry_delivery_ids,
      processedCount: completed ? run.would_retry_delivery_ids.length : 0,
    });
  }

  return {
    tenantId,
    packageDigest,
    closeout,
    deliveries,
    retryPlans,
    workerRuns,
    alertRoutes,
  };
}
