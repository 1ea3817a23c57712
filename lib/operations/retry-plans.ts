import { z } from 'zod';
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryMessage, RetryQueue } from '../adapters/retry-queue.ts';
import { assertTimeZone, calendarDateIn } from '../domain/calendar.ts';
import { deriveId } from '../domain/digest.ts';
import {
  CalendarDateSchema,
  InstantSchema,
} from '../domain/evidence-package.ts';
import { latestRetryDecisions } from '../domain/health.ts';
import type { RetryPlan, WorkerRun } from '../domain/model.ts';
import { planRetries, type RetryPolicy } from '../domain/retry.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
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
  const plan = planRetries({
    tenantId,
    deliveries: evidence.deliveries,
    closeouts: evidence.closeouts,
    previous: latestRetryDecisions(evidence.retryPlans),
    asOf,
    today: calendarDateIn(asOf, settings.zone),
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
        run.state === 'completed',
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
    }));
  await queue.send(messages);
  return { run, created, queued: messages.length };
}
