import type { AlertPublisher } from '../adapters/alert-publisher.ts';
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import {
  type AlertPlan,
  nextAlertState,
  planAlert,
} from '../domain/alert-plan.ts';
import { type EvaluationOptions, evaluateHealth } from '../domain/health.ts';
import type { HealthReport } from '../domain/model.ts';

export interface TenantEvaluation {
  report: HealthReport;
  /** False when the same evidence was evaluated as of the same instant before. */
  reportCreated: boolean;
  alertPlan: AlertPlan | undefined;
  /** True when this call published the alert plan to the topic. */
  alertPublished: boolean;
}

export interface EvaluateTenantDependencies {
  repository: EvidenceRepository;
  publisher: AlertPublisher;
}

/**
 * Evaluates a tenant, stores the report, plans the alert and publishes it.
 *
 * The plan is published before it is stored: if storing fails, the next
 * evaluation publishes it again, and the alert consumer drops the repeat by
 * its plan id. A plan that is already stored is never published again.
 */
export async function evaluateTenant(
  dependencies: EvaluateTenantDependencies,
  tenantId: string,
  options: EvaluationOptions & { repeatIntervalMinutes: number },
  now: Date,
): Promise<TenantEvaluation> {
  const { repository, publisher } = dependencies;
  const loadedAt = new Date();
  const evidence = await repository.loadTenantEvidence(tenantId);
  const report = evaluateHealth(evidence, options, now);
  const reportCreated = await repository.putReport(report);
  await repository.markEvaluated(tenantId, loadedAt);

  const [tenant, state, silences] = await Promise.all([
    repository.getTenant(tenantId),
    repository.getAlertState(tenantId),
    repository.listActiveSilences(tenantId, now),
  ]);
  const plan = planAlert({
    report,
    state,
    silences,
    routes: tenant?.alertRoutes ?? [],
    now,
    repeatIntervalMinutes: options.repeatIntervalMinutes,
  });
  if (!plan) {
    return {
      report,
      reportCreated,
      alertPlan: undefined,
      alertPublished: false,
    };
  }

  const stored = await repository.getAlertPlan(tenantId, plan.alertPlanId);
  if (stored) {
    return { report, reportCreated, alertPlan: stored, alertPublished: false };
  }
  if (plan.status === 'published') {
    await publisher.publish(plan);
  }
  await repository.putAlertPlan(plan, nextAlertState(plan, state));
  return {
    report,
    reportCreated,
    alertPlan: plan,
    alertPublished: plan.status === 'published',
  };
}

/** Outcome of one tenant in a scheduled evaluation. */
export interface TenantSummary {
  tenantId: string;
  reportId?: string;
  healthState?: string;
  alertPlanId?: string;
  error?: string;
}
