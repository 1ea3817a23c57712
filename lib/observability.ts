/**
 * The logger and metrics of a Lambda function, created once per process.
 * Service name and namespace come from `POWERTOOLS_SERVICE_NAME` and
 * `POWERTOOLS_METRICS_NAMESPACE`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || 'closeout-health';

export const logger = new Logger({ serviceName });

export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'CloseoutHealth',
});

/** Metric names shown on the service dashboard. */
export const METRIC = {
  healthReports: 'HealthReports',
  criticalFindings: 'CriticalFindings',
  alertsPublished: 'AlertsPublished',
  alertsSuppressed: 'AlertsSuppressed',
  alertDeliveryFailures: 'AlertDeliveryFailures',
  retryableCloseouts: 'RetryableCloseouts',
  workerRuns: 'WorkerRuns',
  executionOutcome: (outcome: string) => `Execution_${outcome}`,
} as const;
