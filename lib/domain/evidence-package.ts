/**
 * Schema of the final closeout evidence package that the service imports,
 * `cavra.final_closeout_trial.v1`. Field names follow the package exactly;
 * unknown fields are kept, so an import stores the package unchanged.
 */
import * as z from 'zod';

export const EVIDENCE_PACKAGE_SCHEMA_VERSION = 'cavra.final_closeout_trial.v1';

function received(input: unknown): string {
  return input === undefined ? 'nothing' : JSON.stringify(input);
}

/** A calendar date such as `2027-05-31`. */
export const CalendarDateSchema = z.iso.date({
  error: (issue) =>
    `expected a calendar date YYYY-MM-DD, received ${received(issue.input)}`,
});

/** An instant with an offset, such as `2026-05-31T08:30:00Z`. */
export const InstantSchema = z.iso.datetime({
  offset: true,
  error: (issue) =>
    `expected an ISO 8601 date-time with offset, received ${received(issue.input)}`,
});

function identifier() {
  return z
    .string({
      error: (issue) =>
        `expected an id string, received ${received(issue.input)}`,
    })
    .min(1, { error: 'expected a non-empty id' })
    .max(200, { error: 'expected an id of at most 200 characters' });
}

function oneOf<const Values extends readonly [string, ...string[]]>(
  values: Values,
) {
  return z.enum(values, {
    error: (issue) =>
      `expected one of ${values.join(', ')}, received ${received(issue.input)}`,
  });
}

/** Files that one artifact bundle may list. */
export const MAX_BUNDLE_FILES = 200;

/** Failed deliveries that one package may name. */
export const MAX_FAILED_DELIVERIES = 50;

export const RETENTION_DECISION_STATES = [
  'approved',
  'pending',
  'deferred',
  'denied',
  'expired',
] as const;

export const RETRY_DECISIONS = ['retry', 'wait', 'suppress', 'cancel'] as const;

const ReleaseCloseoutSummarySchema = z.looseObject({
  closeout_id: identifier(),
  closeout_state: oneOf(['open', 'closed']),
  blocker_count: z.int().min(0, { error: 'expected a count of 0 or more' }),
  delivery_state: z.string().optional(),
  public_evidence_refs: z.array(identifier()).default([]),
});

const RetentionReviewSchema = z.looseObject({
  review_id: identifier(),
  request_state: z.string().optional(),
  decision_state: oneOf(RETENTION_DECISION_STATES),
  approved_by: z.string().min(1).optional(),
  retention_until: CalendarDateSchema.nullish(),
  legal_hold: z.boolean({ error: 'expected true or false' }).default(false),
  notes: z.string().optional(),
});

const ArtifactFileSchema = z.looseObject({
  name: z.string().min(1, { error: 'expected a file name' }),
  // A missing or malformed digest is a health finding, not an import error.
  sha256: z.string().nullish(),
});

const CloseoutArtifactBundleSchema = z.looseObject({
  artifact_bundle_id: identifier(),
  download_state: z.string().optional(),
  retention_decision_state: z.string().optional(),
  // One finding per file must fit in the health report, a single item.
  files: z
    .array(ArtifactFileSchema)
    .max(MAX_BUNDLE_FILES, {
      error: `expected at most ${MAX_BUNDLE_FILES} files; split the bundle or list an archive of them`,
    })
    .default([]),
});

const AlertProviderSchema = z.looseObject({
  provider: oneOf(['webhook', 'slack', 'teams', 'pagerduty', 'sns']),
  route: identifier(),
  delivery_state: z.string().optional(),
  redacted: z.boolean().optional(),
});

const CloseoutRetryPlanSchema = z.looseObject({
  retry_plan_id: identifier(),
  source_delivery_id: identifier(),
  decision: oneOf(RETRY_DECISIONS),
  mode: z.string().optional(),
  owner: z.string().min(1, { error: 'expected the owner of the retry plan' }),
  target_resolution_date: CalendarDateSchema,
});

const RetryWorkerRunSchema = z.looseObject({
  worker_run_id: identifier(),
  mode: oneOf(['dry_run', 'live']),
  state: z.string(),
  would_retry_delivery_ids: z.array(identifier()).default([]),
  live_connector_used: z.boolean().optional(),
});

const AcceptedRiskSchema = z.looseObject({
  owner: z
    .string()
    .min(1, { error: 'expected the owner of the accepted risk' }),
  reason: z
    .string()
    .min(1, { error: 'expected the reason for the accepted risk' }),
  expires_at: CalendarDateSchema,
  external_reference: z.string().optional(),
  compensating_control: z.string().optional(),
});

/** The whole evidence package. */
export const EvidencePackageSchema = z.looseObject({
  schema_version: z.literal(EVIDENCE_PACKAGE_SCHEMA_VERSION, {
    error: (issue) =>
      `expected "${EVIDENCE_PACKAGE_SCHEMA_VERSION}", received ${received(issue.input)}`,
  }),
  generated_at: InstantSchema,
  final_readiness_bundle: z.looseObject({
    bundle_id: identifier(),
    release_id: identifier(),
    state: z.string().optional(),
    evidence_refs: z.array(identifier()).default([]),
  }),
  release_closeout_summary: ReleaseCloseoutSummarySchema,
  retention_review: RetentionReviewSchema.nullish(),
  closeout_artifact_bundle: CloseoutArtifactBundleSchema.nullish(),
  retention_alert_delivery: z
    .looseObject({
      alert_id: identifier().optional(),
      providers: z.array(AlertProviderSchema).default([]),
    })
    .optional(),
  closeout_retry_plan: CloseoutRetryPlanSchema.nullish(),
  retry_worker_run: RetryWorkerRunSchema.nullish(),
  release_decision: z
    .looseObject({
      state: z.string().optional(),
      accepted_risk: AcceptedRiskSchema.nullish(),
    })
    .optional(),
});

export type EvidencePackage = z.output<typeof EvidencePackageSchema>;
