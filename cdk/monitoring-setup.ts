import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import { createDashboard } from './dashboard.ts';
import { createTopic } from './messaging.ts';
import { createAlarms, type ServiceMetrics } from './monitoring.ts';
import { POWERTOOLS_DEFAULTS } from './service-function.ts';

/**
 * Namespace and service name of the functions' metrics, which
 * `ServiceFunction` sets as `POWERTOOLS_METRICS_NAMESPACE` and
 * `POWERTOOLS_SERVICE_NAME`.
 */
export const SERVICE_METRICS: ServiceMetrics = {
  namespace: POWERTOOLS_DEFAULTS.metricsNamespace,
  serviceName: POWERTOOLS_DEFAULTS.serviceName,
};

/** Resources that the monitoring of a stage watches. */
export interface MonitoringSetupProps {
  /** Prefix of the alarm and dashboard names, such as `closeout-health-prod`. */
  readonly namePrefix: string;
  /** Name of the operations topic. */
  readonly topicName: string;
  /** Key that encrypts the operations topic. */
  readonly key: Key;
  /** Dead-letter queues by a short name used in the alarm names. */
  readonly deadLetterQueues: Readonly<Record<string, Queue>>;
  /**
   * Functions by their key in the definition. Their alarm names carry the
   * key in kebab case, such as `evaluate-health`.
   */
  readonly functions: Readonly<Record<string, IFunction>>;
}

/**
 * Creates the encrypted operations topic `OperationsTopic`, the alarms that
 * notify it and the dashboard. Operators subscribe to the topic themselves,
 * for example by e-mail, because the stack does not know their addresses.
 *
 * @returns The operations topic.
 */
export function addMonitoring(
  scope: Construct,
  props: MonitoringSetupProps,
): Topic {
  const operationsTopic = createTopic(
    scope,
    'OperationsTopic',
    props.topicName,
    props.key,
  );
  const alarms = createAlarms(scope, {
    alarmNamePrefix: props.namePrefix,
    operationsTopic,
    key: props.key,
    metrics: SERVICE_METRICS,
    deadLetterQueues: props.deadLetterQueues,
    functions: Object.fromEntries(
      Object.entries(props.functions).map(([key, fn]) => [kebabCase(key), fn]),
    ),
  });
  createDashboard(scope, {
    dashboardName: props.namePrefix,
    metrics: SERVICE_METRICS,
    alarms,
  });
  return operationsTopic;
}

/** Converts `evaluateHealth` to `evaluate-health`. */
function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
