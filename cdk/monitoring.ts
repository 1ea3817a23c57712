import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import { METRIC } from '#lib/observability.ts';
import { MESSAGE_KEY_ACTIONS } from './messaging-key.ts';

/** Namespace and service name of the functions' Powertools metrics. */
export interface ServiceMetrics {
  /** `POWERTOOLS_METRICS_NAMESPACE` of the functions. */
  readonly namespace: string;
  /** `POWERTOOLS_SERVICE_NAME`, which Powertools emits as `service`. */
  readonly serviceName: string;
}

/** Returns a metric of the service, summed over `period`. */
export function serviceMetric(
  metrics: ServiceMetrics,
  metricName: string,
  period: Duration = Duration.minutes(5),
): Metric {
  return new Metric({
    namespace: metrics.namespace,
    metricName,
    dimensionsMap: { service: metrics.serviceName },
    statistic: 'Sum',
    period,
  });
}

/** Resources that the alarms watch, and the topic that they notify. */
export interface AlarmProps {
  /** Prefix of every alarm name, such as `closeout-health-prod`. */
  readonly alarmNamePrefix: string;
  /** Topic that receives every alarm; its key must be `key`. */
  readonly operationsTopic: Topic;
  readonly key: Key;
  readonly metrics: ServiceMetrics;
  /** Dead-letter queues by a short name used in the alarm name. */
  readonly deadLetterQueues: Readonly<Record<string, Queue>>;
  /** Functions by a short name used in the alarm name. */
  readonly functions: Readonly<Record<string, IFunction>>;
}

/**
 * Creates the alarms of the service, each notifying the operations topic
 * when it enters the ALARM state, and lets CloudWatch publish to that topic.
 */
export function createAlarms(scope: Construct, props: AlarmProps): Alarm[] {
  allowAlarmNotifications(props);
  const action = new SnsAction(props.operationsTopic);
  const alarms: Alarm[] = [];

  function addAlarm(id: string, name: string, metric: IMetric, text: string) {
    const alarm = new Alarm(scope, id, {
      alarmName: `${props.alarmNamePrefix}-${name}`,
      alarmDescription: text,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(action);
    alarms.push(alarm);
  }

  for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
    addAlarm(
      `${pascalCase(name)}DeadLetterAlarm`,
      `${name}-dead-letters`,
      queue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      `Messages wait in ${queue.queueName}. Inspect them, fix the cause, then redrive them.`,
    );
  }
  addAlarm(
    'CriticalFindingsAlarm',
    'critical-findings',
    // One hour matches the default schedule, so the alarm stays in ALARM
    // while consecutive evaluations find critical findings.
    serviceMetric(props.metrics, METRIC.criticalFindings, Duration.hours(1)),
    'A health evaluation reported critical findings. Read the latest health report of each tenant.',
  );
  addAlarm(
    'AlertDeliveryFailuresAlarm',
    'alert-delivery-failures',
    serviceMetric(props.metrics, METRIC.alertDeliveryFailures),
    'Alert plans could not be delivered to a connector. Read the alert delivery evidence and the deliver-alert log.',
  );
  for (const [name, fn] of Object.entries(props.functions)) {
    const label = pascalCase(name);
    addAlarm(
      `${label}ErrorsAlarm`,
      `${name}-errors`,
      fn.metricErrors({ period: Duration.minutes(5) }),
      `The ${name} function failed. Read its log group.`,
    );
    addAlarm(
      `${label}ThrottlesAlarm`,
      `${name}-throttles`,
      fn.metricThrottles({ period: Duration.minutes(5) }),
      `Lambda throttled the ${name} function. Check the account's concurrency.`,
    );
  }
  return alarms;
}

/**
 * Lets CloudWatch publish the alarms of this service to the encrypted
 * operations topic. The topic policy admits only alarms whose name starts
 * with the prefix.
 */
function allowAlarmNotifications(props: AlarmProps): void {
  const { account, region, partition } = Stack.of(props.operationsTopic);
  const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');

  props.operationsTopic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowServiceAlarmsToPublish',
      principals: [cloudWatch],
      actions: ['sns:Publish'],
      resources: [props.operationsTopic.topicArn],
      conditions: {
        ArnLike: {
          'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${props.alarmNamePrefix}-*`,
        },
      },
    }),
  );
  props.key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchToEncryptAlarms',
      principals: [cloudWatch],
      actions: MESSAGE_KEY_ACTIONS,
      resources: ['*'],
    }),
  );
}

/** Converts `alert-delivery` to `AlertDelivery`. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
