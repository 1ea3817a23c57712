import type { CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '#lib/observability.ts';
import { defineService } from '#lib/resources.ts';
import type { CloseoutHealthStack } from '../../cdk/closeout-health-stack.ts';
import {
  createTestStack,
  queueIdByName,
  referencedId,
  STAGE,
} from './stack-fixture.ts';

const SERVICE = defineService(STAGE);
const DEAD_LETTER_QUEUE_NAMES = [
  SERVICE.alertDeliveryQueue.deadLetterQueueName,
  SERVICE.retryQueue.deadLetterQueueName,
  SERVICE.scheduleDeadLetterQueueName,
];
const SERVICE_DIMENSION = [{ Name: 'service', Value: 'closeout-health' }];
const DASHBOARD_METRICS = [
  'HealthReports',
  'AlertsPublished',
  'AlertsSuppressed',
  'AlertDeliveryFailures',
  'RetryableCloseouts',
  'WorkerRuns',
  'Execution_would_retry',
  'Execution_delivered',
  'Execution_failed',
  'Execution_skipped',
  'Execution_exhausted',
  'Execution_cancelled',
];

describe('CloseoutHealthStack monitoring', () => {
  let stack: CloseoutHealthStack;
  let template: Template;
  let operationsTopicId: string;

  beforeAll(() => {
    stack = createTestStack();

    template = Template.fromStack(stack);
    operationsTopicId = stack.getLogicalId(
      stack.operationsTopic.node.defaultChild as CfnElement,
    );
  });

  describe('operations topic', () => {
    it('uses the name from the definition', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: SERVICE.operationsTopicName,
      });
    });

    it('admits only alarms of the stage', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: operationsTopicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Join': [
                      '',
                      Match.arrayWith([`:alarm:closeout-health-${STAGE}-*`]),
                    ],
                  },
                },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('alarms', () => {
    it('notifies the operations topic from every alarm', () => {
      template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: operationsTopicId }],
      });
    });

    it('prefixes every alarm name with the stage', () => {
      const alarms = template.findResources('AWS::CloudWatch::Alarm');

      const names = Object.values(alarms).map(
        (alarm) => alarm.Properties.AlarmName,
      );

      expect(names.length).toBeGreaterThan(0);
      expect(
        names.filter((name) => !name.startsWith(`closeout-health-${STAGE}-`)),
      ).toEqual([]);
    });

    it.each(DEAD_LETTER_QUEUE_NAMES)('alarms on messages in %s', (name) => {
      const queueId = queueIdByName(template, name);

      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [queueId, 'QueueName'] },
          },
        ],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    });

    it.each([METRIC.criticalFindings, METRIC.alertDeliveryFailures])(
      'alarms when %s is above zero',
      (metricName) => {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'CloseoutHealth',
          MetricName: metricName,
          Dimensions: SERVICE_DIMENSION,
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          TreatMissingData: 'notBreaching',
        });
      },
    );

    it.each(
      Object.keys(SERVICE.functions).flatMap((key) => [
        [key, 'Errors'],
        [key, 'Throttles'],
      ]),
    )('alarms on %s %s', (key, metricName) => {
      const fn = stack.functions[key as keyof typeof stack.functions];
      const functionId = stack.getLogicalId(fn.node.defaultChild as CfnElement);

      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    });
  });

  describe('dashboard', () => {
    function dashboardBody(): string {
      const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
      const [dashboard] = Object.values(dashboards);
      return JSON.stringify(dashboard?.Properties.DashboardBody);
    }

    it('is named after the stage', () => {
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `closeout-health-${STAGE}`,
      });
    });

    it.each(DASHBOARD_METRICS)('shows %s of the service', (metricName) => {
      const body = dashboardBody();

      expect(body).toContain(
        `[\\"CloseoutHealth\\",\\"${metricName}\\",\\"service\\",\\"closeout-health\\"`,
      );
    });

    it('shows the state of every alarm', () => {
      const alarmIds = Object.keys(
        template.findResources('AWS::CloudWatch::Alarm'),
      );
      const body = dashboardBody();

      const missing = alarmIds.filter((id) => !body.includes(`"${id}"`));

      expect(missing).toEqual([]);
    });
  });

  it('watches exactly the dead-letter queues', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' },
    });

    const watchedQueueIds = Object.values(alarms).map((alarm) =>
      referencedId(alarm.Properties.Dimensions[0].Value),
    );

    expect(watchedQueueIds.sort()).toEqual(
      DEAD_LETTER_QUEUE_NAMES.map((name) =>
        queueIdByName(template, name),
      ).sort(),
    );
  });
});
