import { fileURLToPath } from 'node:url';
import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { defineService, type ServiceDefinition } from '#lib/resources.ts';
import { grantConnectorSecrets } from './connector-secrets.ts';
import type { DeploymentSettings } from './context.ts';
import { createHttpApi } from './http-api.ts';
import { grantPublish, grantSendMessages } from './messaging.ts';
import { createMessagingKey } from './messaging-key.ts';
import { addMonitoring } from './monitoring-setup.ts';
import { acknowledgeNagFindings } from './nag-acknowledgments.ts';
import { createEvaluationSchedule } from './schedule.ts';
import { type FunctionKey, FunctionWiring } from './service-functions.ts';
import {
  createServiceMessaging,
  type ServiceMessaging,
} from './service-messaging.ts';
import { createEvidenceTable } from './storage.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Properties of a {@link CloseoutHealthStack}. */
export interface CloseoutHealthStackProps extends StackProps {
  /** Checked deployment settings, from `readDeploymentSettings`. */
  readonly settings: DeploymentSettings;
}

/** Lambda functions of the service, by their key in the definition. */
export type ServiceFunctions = Record<FunctionKey, NodejsFunction>;

/**
 * Every AWS resource of one closeout-health stage, built from
 * `defineService(stage)` so that the local runtime creates the same names
 * and settings.
 */
export class CloseoutHealthStack extends Stack {
  /** Names and settings that the resources of this stack are built from. */
  readonly service: ServiceDefinition;
  /** Customer managed key of every topic and queue. */
  readonly messagingKey: Key;
  readonly table: Table;
  readonly messaging: ServiceMessaging;
  /** Topic of the operators' alarms. */
  readonly operationsTopic: Topic;
  readonly functions: ServiceFunctions;
  readonly httpApi: HttpApi;

  constructor(scope: Construct, id: string, props: CloseoutHealthStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const service = defineService(settings.stage);
    this.service = service;
    const namePrefix = `closeout-health-${settings.stage}`;

    const key = createMessagingKey(this, `alias/${namePrefix}-messaging`);
    this.messagingKey = key;
    this.table = createEvidenceTable(this, service);
    const messaging = createServiceMessaging(this, service, key);
    this.messaging = messaging;

    const connectors = { CONNECTORS: JSON.stringify(settings.connectors) };
    const retryQueueUrl = { RETRY_QUEUE_URL: messaging.retryQueue.queueUrl };
    const wiring = new FunctionWiring(this, {
      projectRoot: PROJECT_ROOT,
      service,
      table: this.table,
      environment: {
        TABLE_NAME: this.table.tableName,
        EVALUATION_ZONE: settings.zone,
        WARNING_DAYS: String(settings.warningDays),
        CRITICAL_DAYS: String(settings.criticalDays),
      },
    });
    // One entry a function: its extra variables and table access.
    this.functions = {
      evaluateHealth: wiring.add('evaluateHealth', {
        environment: {
          ALERT_TOPIC_ARN: messaging.alertTopic.topicArn,
          ...(settings.tenants.length > 0 && {
            TENANTS: settings.tenants.join(','),
          }),
        },
        tableAccess: { queryRegistry: true },
      }),
      deliverAlert: wiring.add('deliverAlert', { environment: connectors }),
      retryDelivery: wiring.add('retryDelivery', {
        environment: { ...connectors, ...retryQueueUrl },
        tableAccess: { deleteItems: true },
      }),
      recordDeadLetter: wiring.add('recordDeadLetter'),
      httpApi: wiring.add('httpApi', { environment: retryQueueUrl }),
    };
    const functions = this.functions;

    grantPublish(messaging.alertTopic, functions.evaluateHealth);
    grantSendMessages(messaging.retryQueue, functions.httpApi);
    // The retry worker re-queues deliveries that are not due yet.
    grantSendMessages(messaging.retryQueue, functions.retryDelivery);
    grantConnectorSecrets(this, settings.connectors, [
      functions.deliverAlert,
      functions.retryDelivery,
    ]);

    createEvaluationSchedule(this, {
      expression: settings.schedule ?? service.evaluationSchedule,
      target: functions.evaluateHealth,
      deadLetterQueue: messaging.scheduleDeadLetterQueue,
      key,
    });
    this.consumeQueue(messaging.alertDeliveryQueue, functions.deliverAlert);
    this.consumeQueue(messaging.retryQueue, functions.retryDelivery);
    this.consumeQueue(
      messaging.retryDeadLetterQueue,
      functions.recordDeadLetter,
    );

    const api = createHttpApi(this, {
      apiName: this.stackName,
      handler: functions.httpApi,
      jwtIssuer: settings.jwt.issuer,
      jwtAudience: settings.jwt.audience,
      rateLimit: settings.throttling.rateLimit,
      burstLimit: settings.throttling.burstLimit,
    });
    this.httpApi = api.httpApi;

    this.operationsTopic = addMonitoring(this, {
      namePrefix,
      topicName: service.operationsTopicName,
      key,
      deadLetterQueues: {
        'alert-delivery': messaging.alertDeliveryDeadLetterQueue,
        retry: messaging.retryDeadLetterQueue,
        schedule: messaging.scheduleDeadLetterQueue,
      },
      functions,
    });
    acknowledgeNagFindings(this);

    new CfnOutput(this, 'HttpApiUrl', { value: api.stage.url });
    new CfnOutput(this, 'AlertTopicArn', {
      value: messaging.alertTopic.topicArn,
    });
    new CfnOutput(this, 'OperationsTopicArn', {
      value: this.operationsTopic.topicArn,
    });
  }

  /** Subscribes a function to a queue with partial batch responses. */
  private consumeQueue(queue: Queue, consumer: NodejsFunction): void {
    const settings = this.service.queueConsumer;
    consumer.addEventSource(
      new SqsEventSource(queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
      }),
    );
  }
}
