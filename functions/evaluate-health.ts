/**
 * Scheduled evaluation function: evaluates every tenant as of the schedule's
 * time, stores the reports and publishes the alert plans.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { AlertPublisher } from '#lib/adapters/alert-publisher.ts';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { EvidenceRepository } from '#lib/adapters/evidence-repository.ts';
import { readConfig, requireSetting } from '#lib/config.ts';
import { addCalendarDays, calendarDateIn } from '#lib/domain/calendar.ts';
import { logger, METRIC, metrics } from '#lib/observability.ts';
import {
  evaluateTenant,
  type TenantSummary,
} from '#lib/operations/evaluate-tenant.ts';

const config = readConfig();
const clients = awsClients();
const repository = new EvidenceRepository(clients.documents, config.tableName);
const publisher = new AlertPublisher(
  clients.sns,
  requireSetting(config.alertTopicArn, 'ALERT_TOPIC_ARN'),
);

async function evaluateAll(event: ScheduledEvent): Promise<TenantSummary[]> {
  const asOf = new Date(event.time);
  // Only tenants with evidence at risk by the end of the warning window can
  // have findings or an alert to resolve.
  const horizon = addCalendarDays(
    calendarDateIn(asOf, config.zone),
    config.warningDays,
  );
  const allowed = new Set(config.tenants);
  const tenants = (await repository.listTenantsAtRisk(horizon)).filter(
    (tenantId) => allowed.size === 0 || allowed.has(tenantId),
  );
  logger.info('evaluation started', {
    asOf: event.time,
    tenants: tenants.length,
  });
  const summaries: TenantSummary[] = [];

  for (const tenantId of tenants) {
    try {
      const result = await evaluateTenant(
        { repository, publisher },
        tenantId,
        {
          asOf,
          zone: config.zone,
          warningDays: config.warningDays,
          criticalDays: config.criticalDays,
          maxAttempts: config.maxAttempts,
          repeatIntervalMinutes: config.alertRepeatMinutes,
        },
        new Date(),
      );
      const { report, alertPlan } = result;
      const critical = report.findings.filter(
        (item) => item.severity === 'critical',
      );
      metrics.addMetric(METRIC.healthReports, MetricUnit.Count, 1);
      metrics.addMetric(
        METRIC.criticalFindings,
        MetricUnit.Count,
        critical.length,
      );
      if (alertPlan) {
        const name = result.alertPublished
          ? METRIC.alertsPublished
          : METRIC.alertsSuppressed;
        metrics.addMetric(name, MetricUnit.Count, 1);
      }
      summaries.push({
        tenantId,
        reportId: report.reportId,
        healthState: report.healthState,
        ...(alertPlan && { alertPlanId: alertPlan.alertPlanId }),
      });
    } catch (error) {
      // One tenant's failure must not hide the others' reports.
      logger.error('tenant evaluation failed', { tenantId, error });
      summaries.push({ tenantId, error: 'evaluation failed' });
    }
  }
  logger.info('evaluation finished', { asOf: event.time, summaries });
  if (summaries.some((summary) => summary.error)) {
    throw new Error(
      'Evaluation failed for some tenants; see the log for each.',
    );
  }
  return summaries;
}

export const handler = middy(evaluateAll)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
