import * as z from 'zod';
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryMessage, RetryQueue } from '../adapters/retry-queue.ts';
import { assertTimeZone, calendarDateIn } from '../domain/calendar.ts';
import { canonicalJson, deriveId, sha256Hex } from '../domain/digest.ts';
import {
  CalendarDateSchema,
  InstantSchema,
} from '../domain/evidence-package.ts';
import { latestRetryDecisions } from '../domain/health.ts';
import type { RetryPlan, WorkerRun } from '../domain/model.ts';
import { planRetries, type RetryPolicy } from '../domain/retry.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseInput } from '../validation.ts';

/** Body of a request to plan the retries of a tenant's failed deliveries. */
export const RetryPlanRequestSchema = z.strictObject({
  asOf: InstantSchema.optional(),
  owner: z.string().min(1).max(200).optional(),
  targetResolutionDate: CalendarDateSchema.optional(),
});

/** Body of a request to start a worker run. */
export const WorkerRunRequestSchema = z.strictObject({
  planId: z.string().min(1, { error: 'expected the id of a retry plan' }),
  mode: z
    .enum(['dry_run', 'live'], {
      error: 'expected "dry_run" or "live"; runs are dry runs by default',
    })
    .default('dry_run'),
});

/**
 * Plans a decision for each failed delivery of the tenant and stores the
 * plan. Planning the same failures again returns the stored plan.
 */
export async function createRetryPlan(
  repository: EvidenceRepository,
  tenantId: string,
  body: unknown,
  settings: { zone: string; policy: RetryPolicy },
  now: Date,
): Promise<{ plan: RetryPlan; created: boolean }> {
  const request = parseInput(
    RetryPlanRequestSchema,
    body ?? {},
    'request body',
  );
  assertTimeZone(settings.zone);
  const evidence = await repository.loadTenantEvidence(tenantId);
  if (evidence.closeouts.length === 0) {
    throw new NotFoundError(
      `Tenant ${tenantId} has no imported evidence; import a package first.`,
    );
  }
  const asOf = request.asOf ? new Date(request.asOf) : now;
  const today = calendarDateIn(asOf, settings.zone);
  if (request.targetResolutionDate && request.targetResolutionDate < today) {
    throw new ValidationError(
      `Target resolution date ${request.targetResolutionDate} is before ${today}; set a date on or after the plan's date.`,
      [
        {
          path: '$.targetResolutionDate',
          message: `expected ${today} or later`,
        },
      ],
    );
  }
  const plan = planRetries({
    tenantId,
    deliveries: evidence.deliveries,
    closeouts: evidence.closeouts,
    previous: latestRetryDecisions(evidence.retryPlans),
    asOf,
    today,
    createdAt: now,
    policy: settings.policy,
    owner: request.owner,
    targetResolutionDate: request.targetResolutionDate,
  });
  return repository.putRetryPlan(plan);
}

/**
 * Starts a worker run over the plan's `retry` decisions and queues one
 * message per delivery. The run id depends on the plan, the mode and the
 * selection, so starting the same run again returns it and re-queues only
 * the deliveries that have no execution record yet.
 *
 * @throws ConflictError for a live run whose plan has no completed dry run.
 */
export async function startWorkerRun(
  repository: EvidenceRepository,
  queue: RetryQueue,
  tenantId: string,
  body: unknown,
  settings: { maxAttempts: number },
  now: Date,
): Promise<{ run: WorkerRun; created: boolean; queued: number }> {
  const request = parseInput(
    WorkerRunRequestSchema,
    body ?? {},
    'request body',
  );
  const plan = await repository.getRetryPlan(tenantId, request.planId);
  if (!plan) {
    throw new NotFoundError(
      `Retry plan ${request.planId} of tenant ${tenantId} was not found; create one with POST /tenants/${tenantId}/retry-plans.`,
      [{ path: '$.planId', message: 'expected the id of a stored retry plan' }],
    );
  }
  if (request.mode === 'live') {
    const runs = await repository.listWorkerRuns(tenantId);
    const dryRun = runs.find(
      (run) =>
        run.planId === plan.planId &&
        run.mode === 'dry_run' &&
        run.state === 'completed' &&
        // A dry run named in an imported package has no execution records
        // to review, so only a dry run of this service opens a live run.
        run.source === 'service',
    );
    if (!dryRun) {
      throw new ConflictError(
        `Live run rejected: retry plan ${plan.planId} has no completed dry run. Start a run with mode "dry_run", review its execution records, then start the live run.`,
        [
          {
            path: '$.mode',
            message: 'a live run needs a completed dry run of the same plan',
          },
        ],
      );
    }
  }

  const selected = plan.decisions.filter((item) => item.decision === 'retry');
  const deliveryIds = selected.map((item) => item.deliveryId);
  const empty = deliveryIds.length === 0;
  const { run, created } = await repository.putWorkerRun({
    tenantId,
    runId: deriveId('wr', tenantId, plan.planId, request.mode, deliveryIds),
    planId: plan.planId,
    mode: request.mode,
    state: empty ? 'completed' : 'started',
    source: 'service',
    startedAt: now.toISOString(),
    completedAt: empty ? now.toISOString() : undefined,
    deliveryIds,
    processedCount: 0,
  });
  if (run.state === 'completed') {
    return { run, created, queued: 0 };
  }

  const recorded = new Set(
    (await repository.listExecutions(tenantId, run.runId)).map(
      (record) => record.deliveryId,
    ),
  );
  const messages: RetryMessage[] = selected
    .filter((item) => !recorded.has(item.deliveryId))
    .map((item) => ({
      tenantId,
      runId: run.runId,
      planId: plan.planId,
      deliveryId: item.deliveryId,
      mode: run.mode,
      attempt: item.attempt,
      // A redrive gives a dead-lettered delivery a fresh attempt budget.
      ...(plan.source === 'redrive' && {
        redrive: true,
        attemptLimit: item.attempt + settings.maxAttempts - 1,
      }),
    }));
  await queue.send(messages);
  return { run, created, queued: messages.length };
}

/** Body of a request to redrive the tenant's dead-lettered deliveries. */
export const RedriveRequestSchema = z.strictObject({
  mode: z
    .enum(['dry_run', 'live'], {
      error: 'expected "dry_run" or "live"; redrives are dry runs by default',
    })
    .default('dry_run'),
  owner: z.string().min(1).max(200).optional(),
  targetResolutionDate: CalendarDateSchema.optional(),
});

/**
 * Plans a retry of every exhausted delivery that reached the dead-letter
 * queue and starts a worker run of it, a dry run unless `mode` is `live`.
 * The plan id depends on the deliveries and attempts, so the live request
 * after a dry run finds the same plan and its completed dry run.
 *
 * @throws ConflictError when no dead-lettered delivery is exhausted.
 */
export async function redriveDeadLetters(
  repository: EvidenceRepository,
  queue: RetryQueue,
  tenantId: string,
  body: unknown,
  settings: { maxAttempts: number },
  now: Date,
): Promise<{ plan: RetryPlan; run: WorkerRun; queued: number }> {
  const request = parseInput(RedriveRequestSchema, body ?? {}, 'request body');
  const [deadLetters, evidence] = await Promise.all([
    repository.listDeadLetters(tenantId),
    repository.loadTenantEvidence(tenantId),
  ]);
  const deadLettered = new Set(deadLetters.map((item) => item.deliveryId));
  const exhausted = evidence.deliveries
    .filter(
      (item) => item.state === 'exhausted' && deadLettered.has(item.deliveryId),
    )
    .sort((a, b) => a.deliveryId.localeCompare(b.deliveryId));
  if (exhausted.length === 0) {
    throw new ConflictError(
      `Tenant ${tenantId} has no exhausted dead-lettered delivery to redrive; list them with GET /tenants/${tenantId}/dead-letters.`,
    );
  }

  const previous = latestRetryDecisions(evidence.retryPlans);
  const decisions = exhausted.map((delivery) => ({
    deliveryId: delivery.deliveryId,
    decision: 'retry' as const,
    reason: 'redrive of a dead-lettered delivery',
    attempt: delivery.attempts + 1,
    nextAttemptAt: now.toISOString(),
    owner:
      request.owner ?? previous.get(delivery.deliveryId)?.owner ?? 'unassigned',
    targetResolutionDate:
      request.targetResolutionDate ??
      previous.get(delivery.deliveryId)?.targetResolutionDate ??
      now.toISOString().slice(0, 10),
  }));
  const identity = decisions.map((item) => [item.deliveryId, item.attempt]);
  const { plan } = await repository.putRetryPlan({
    tenantId,
    planId: deriveId('rp', tenantId, 'redrive', identity),
    source: 'redrive',
    createdAt: now.toISOString(),
    decisions,
    contentHash: sha256Hex(canonicalJson(decisions)),
  });
  const redriven = new Set(exhausted.map((item) => item.deliveryId));
  await repository.markRedriven(
    deadLetters.filter(
      (item) => !item.redrivePlanId && redriven.has(item.deliveryId),
    ),
    plan.planId,
  );
  const { run, queued } = await startWorkerRun(
    repository,
    queue,
    tenantId,
    { planId: plan.planId, mode: request.mode },
    settings,
    now,
  );
  return { plan, run, queued };
}
