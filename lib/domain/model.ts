/**
 * Records of the closeout-health domain. Every record is tenant-scoped and
 * holds no secret: connectors are referenced by route name only.
 */
import type {
  RETENTION_DECISION_STATES,
  RETRY_DECISIONS,
} from './evidence-package.ts';

export type RetentionDecisionState = (typeof RETENTION_DECISION_STATES)[number];
export type RetryDecisionKind = (typeof RETRY_DECISIONS)[number];
export type Severity = 'critical' | 'warning';
export type HealthState = 'healthy' | Severity;

export const FINDING_CATEGORIES = [
  'artifact_bundle_missing',
  'retention_approval_missing',
  'retention_expired',
  'retention_expiring',
  'retention_until_missing',
  'artifact_digest_invalid',
  'closeout_delivery_failed',
  'closeout_delivery_undeliverable',
] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

export interface ArtifactFile {
  name: string;
  sha256?: string | undefined;
}

export interface ArtifactBundle {
  bundleId: string;
  files: ArtifactFile[];
}

export interface RetentionDecision {
  reviewId: string;
  state: RetentionDecisionState;
  decidedBy?: string | undefined;
  /** Calendar date `YYYY-MM-DD`. */
  retainUntil?: string | undefined;
  legalHold: boolean;
}

/** An accepted risk that covers findings until it expires. */
export interface RiskException {
  exceptionId: string;
  owner: string;
  reason: string;
  /** Last calendar date on which the exception applies. */
  expiresOn: string;
  /** Finding categories that the exception covers. */
  categories: FindingCategory[];
  /** Subjects that it covers; empty covers every subject of the closeout. */
  subjectIds: string[];
  externalReference?: string | undefined;
  compensatingControl?: string | undefined;
}

/** The final closeout evidence of one closeout. */
export interface CloseoutEvidence {
  tenantId: string;
  closeoutId: string;
  releaseId: string;
  closeoutState: 'open' | 'closed';
  blockerCount: number;
  artifactBundle?: ArtifactBundle | undefined;
  retention?: RetentionDecision | undefined;
  exceptions: RiskException[];
  publicEvidenceRefs: string[];
  /** SHA-256 of the imported package file, hex. */
  packageDigest: string;
  importedAt: string;
}

export type DeliveryState =
  | 'failed'
  | 'delivered'
  | 'undeliverable'
  | 'exhausted';

/** Outcome of the last attempt of a delivery. */
export interface AttemptOutcome {
  at: string;
  classification: 'delivered' | 'retryable' | 'not_retryable';
  statusCode?: number | undefined;
  error?: string | undefined;
}

/** One piece of closeout evidence sent to one connector route. */
export interface Delivery {
  tenantId: string;
  deliveryId: string;
  closeoutId: string;
  route: string;
  state: DeliveryState;
  attempts: number;
  lastAttempt?: AttemptOutcome | undefined;
  nextAttemptAt?: string | undefined;
  deliveredAt?: string | undefined;
  /** Worker run that made the last attempt. */
  lastAttemptRunId?: string | undefined;
  /** SQS message that made the last attempt, to recognise its redelivery. */
  lastAttemptMessageId?: string | undefined;
}

export interface RetryDecision {
  deliveryId: string;
  decision: RetryDecisionKind;
  reason: string;
  /** Attempt number that the next send would carry. */
  attempt: number;
  nextAttemptAt?: string | undefined;
  owner: string;
  targetResolutionDate: string;
}

export interface RetryPlan {
  tenantId: string;
  planId: string;
  /** `redrive` plans retry deliveries that reached the dead-letter queue. */
  source: 'imported' | 'planned' | 'redrive';
  createdAt: string;
  decisions: RetryDecision[];
  /** SHA-256 of the decisions, hex. */
  contentHash: string;
}

export type WorkerMode = 'dry_run' | 'live';

export interface WorkerRun {
  tenantId: string;
  runId: string;
  planId: string;
  mode: WorkerMode;
  state: 'started' | 'completed';
  source: 'imported' | 'service';
  startedAt: string;
  completedAt?: string | undefined;
  /** Deliveries that the run handles. */
  deliveryIds: string[];
  processedCount: number;
}

export type ExecutionOutcome =
  | 'would_retry'
  | 'delivered'
  | 'failed'
  | 'skipped'
  | 'exhausted'
  | 'cancelled';

/**
 * Key that identifies one attempt of one delivery. Delivery ids are unique
 * within a tenant only, so the key names the tenant too.
 */
export function idempotencyKeyOf(
  tenantId: string,
  deliveryId: string,
  attempt: number,
): string {
  return `${tenantId}:${deliveryId}:${attempt}`;
}

export interface ExecutionRecord {
  tenantId: string;
  runId: string;
  deliveryId: string;
  mode: WorkerMode;
  attempt: number;
  outcome: ExecutionOutcome;
  recordedAt: string;
  /** `tenantId:deliveryId:attempt`, sent to the receiver on live runs. */
  idempotencyKey: string;
  statusCode?: number | undefined;
  detail?: string | undefined;
}

export interface Finding {
  /** Stable digest of tenant, category and subject. */
  fingerprint: string;
  category: FindingCategory;
  severity: Severity;
  closeoutId: string;
  subjectId: string;
  message: string;
  daysRemaining?: number | undefined;
}

export type ReleaseDecisionState =
  | 'ready_for_release'
  | 'ready_with_accepted_risk'
  | 'blocked';

export interface DecisionReason {
  code: string;
  message: string;
  subjectId?: string | undefined;
}

export interface ReleaseDecision {
  closeoutId: string;
  releaseId: string;
  state: ReleaseDecisionState;
  reasons: DecisionReason[];
}

export interface HealthReport {
  tenantId: string;
  reportId: string;
  asOf: string;
  zone: string;
  /** Calendar date of `asOf` in `zone`. */
  today: string;
  healthState: HealthState;
  findings: Finding[];
  releaseDecisions: ReleaseDecision[];
  /** Digest of the evidence that was evaluated. */
  evidenceDigest: string;
  evaluatedAt: string;
}

/** A retry message that reached the dead-letter queue. */
export interface DeadLetterRecord {
  tenantId: string;
  deliveryId: string;
  runId: string;
  planId: string;
  mode: WorkerMode;
  /** SQS message id in the dead-letter queue. */
  messageId: string;
  receiveCount: number;
  deadLetteredAt: string;
  /** Redrive plan that retried the delivery, once one did. */
  redrivePlanId?: string | undefined;
}
