/**
 * Typed factories for domain records. Each factory returns a healthy record
 * with random ids, and its overrides replace whole fields.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  DEFAULT_EVALUATION_OPTIONS,
  type EvaluationOptions,
  type TenantEvidence,
} from '#lib/domain/health.ts';
import type {
  ArtifactBundle,
  CloseoutEvidence,
  Delivery,
  RetentionDecision,
  RetryDecision,
  RetryPlan,
  RiskException,
  WorkerRun,
} from '#lib/domain/model.ts';

/** SHA-256 of the text `test`, lower-case hex. */
export const VALID_SHA256 =
  '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const SAMPLE_PACKAGE_URL = new URL(
  '../../examples/cavra-sample-evidence-package.json',
  import.meta.url,
);

/** Returns `prefix-` followed by a random UUID. */
export function randomId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Reads the sample evidence package as its original text. */
export function samplePackageText(): string {
  return readFileSync(SAMPLE_PACKAGE_URL, 'utf8');
}

export function evaluationOptions(
  asOf: string,
  overrides: Partial<EvaluationOptions> = {},
): EvaluationOptions {
  return { ...DEFAULT_EVALUATION_OPTIONS, asOf: new Date(asOf), ...overrides };
}

/** Builds an approved retention decision that runs until 2027-05-31. */
export function retention(
  overrides: Partial<RetentionDecision> = {},
): RetentionDecision {
  return {
    reviewId: randomId('review'),
    state: 'approved',
    decidedBy: 'release-risk-owner',
    retainUntil: '2027-05-31',
    legalHold: false,
    ...overrides,
  };
}

/** Builds a bundle with one file that has a valid digest. */
export function artifactBundle(
  overrides: Partial<ArtifactBundle> = {},
): ArtifactBundle {
  return {
    bundleId: randomId('bundle'),
    files: [{ name: 'closeout-summary.json', sha256: VALID_SHA256 }],
    ...overrides,
  };
}

/** Builds a closed closeout with an intact bundle and approved retention. */
export function closeout(
  overrides: Partial<CloseoutEvidence> = {},
): CloseoutEvidence {
  return {
    tenantId: randomId('tenant'),
    closeoutId: randomId('closeout'),
    releaseId: randomId('release'),
    closeoutState: 'closed',
    blockerCount: 0,
    artifactBundle: artifactBundle(),
    retention: retention(),
    exceptions: [],
    publicEvidenceRefs: [],
    packageDigest: VALID_SHA256,
    importedAt: '2026-05-31T08:30:00.000Z',
    ...overrides,
  };
}

/** Builds a delivery whose first attempt failed with a retryable 503. */
export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    tenantId: randomId('tenant'),
    deliveryId: randomId('delivery'),
    closeoutId: randomId('closeout'),
    route: 'grc-webhook',
    state: 'failed',
    attempts: 1,
    lastAttempt: {
      at: '2026-05-31T08:00:00.000Z',
      classification: 'retryable',
      statusCode: 503,
    },
    ...overrides,
  };
}

/** Builds a `retry` decision for the second attempt. */
export function retryDecision(
  overrides: Partial<RetryDecision> = {},
): RetryDecision {
  return {
    deliveryId: randomId('delivery'),
    decision: 'retry',
    reason: 'attempt 2 of 8 is due',
    attempt: 2,
    owner: 'platform-owner',
    targetResolutionDate: '2026-06-07',
    ...overrides,
  };
}

export function retryPlan(
  decisions: RetryDecision[],
  overrides: Partial<RetryPlan> = {},
): RetryPlan {
  return {
    tenantId: randomId('tenant'),
    planId: randomId('rp'),
    source: 'planned',
    createdAt: '2026-05-31T08:30:00.000Z',
    decisions,
    contentHash: VALID_SHA256,
    ...overrides,
  };
}

/** Builds a completed dry run over the given deliveries. */
export function workerRun(
  deliveryIds: string[],
  overrides: Partial<WorkerRun> = {},
): WorkerRun {
  return {
    tenantId: randomId('tenant'),
    runId: randomId('run'),
    planId: randomId('rp'),
    mode: 'dry_run',
    state: 'completed',
    source: 'service',
    startedAt: '2026-05-31T08:30:00.000Z',
    completedAt: '2026-05-31T08:31:00.000Z',
    deliveryIds,
    processedCount: deliveryIds.length,
    ...overrides,
  };
}

/** Builds an accepted risk for failed deliveries of every subject. */
export function riskException(
  overrides: Partial<RiskException> = {},
): RiskException {
  return {
    exceptionId: randomId('ex'),
    owner: 'release-risk-owner',
    reason: 'retry plan and dry run reviewed',
    expiresOn: '2026-06-07',
    categories: ['closeout_delivery_failed'],
    subjectIds: [],
    ...overrides,
  };
}

/** Builds the evidence of a tenant with no records. */
export function tenantEvidence(
  overrides: Partial<TenantEvidence> = {},
): TenantEvidence {
  return {
    tenantId: randomId('tenant'),
    closeouts: [],
    deliveries: [],
    retryPlans: [],
    workerRuns: [],
    ...overrides,
  };
}
