import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

import type { ExecutionOutcome } from '#lib/domain/model.ts';
import { METRIC } from '#lib/observability.ts';
import { type ServiceMetrics, serviceMetric } from './monitoring.ts';

/** Outcomes that the retry worker counts as `Execution_<outcome>`. */
const EXECUTION_OUTCOMES: readonly ExecutionOutcome[] = [
  'would_retry',
  'delivered',
  'failed',
  'skipped',
  'exhausted',
  'cancelled',
];

/** Metrics and alarms of the dashboard. */
export interface DashboardProps {
  readonly dashboardName: string;
  readonly metrics: ServiceMetrics;
  readonly alarms: readonly IAlarm[];
}

/**
 * Creates the service dashboard for the platform operator: evaluations,
 * alerts, retries, worker run outcomes and the state of every alarm.
 */
export function createDashboard(
  scope: Construct,
  props: DashboardProps,
): Dashboard {
  const metric = (name: string, label: string): IMetric =>
    serviceMetric(props.metrics, name).with({ label });

  const dashboard = new Dashboard(scope, 'Dashboard', {
    dashboardName: props.dashboardName,
  });
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Health evaluations',
      left: [
        metric(METRIC.healthReports, 'Health reports'),
        metric(METRIC.criticalFindings, 'Critical findings'),
      ],
    }),
    new GraphWidget({
      title: 'Alerts',
      left: [
        metric(METRIC.alertsPublished, 'Published'),
        metric(METRIC.alertsSuppressed, 'Suppressed'),
        metric(METRIC.alertDeliveryFailures, 'Delivery failures'),
      ],
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Retries',
      left: [
        metric(METRIC.retryableCloseouts, 'Retryable closeouts'),
        metric(METRIC.workerRuns, 'Worker runs'),
      ],
    }),
    new GraphWidget({
      title: 'Execution outcomes',
      left: EXECUTION_OUTCOMES.map((outcome) =>
        metric(METRIC.executionOutcome(outcome), outcome),
      ),
    }),
  );
  dashboard.addWidgets(
    new AlarmStatusWidget({
      title: 'Alarms',
      alarms: [...props.alarms],
      width: 24,
    }),
  );
  return dashboard;
}
