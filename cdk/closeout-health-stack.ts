import { fileURLToPath } from 'node:url';
import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type {
  FunctionDefinition,
  QueueDefinition,
  ServiceDefinition,
} from '#lib/resources.ts';
import { defineService, TABLE_KEYS } from '#lib/resources.ts';
import { createHttpApi } from './http-api.ts';
import { ServiceFunction } from './service-function.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Properties of a {@link CloseoutHealthStack}. */
export interface CloseoutHealthStackProps extends StackProps {
  /** Deployment stage that prefixes every physical resource name. */
  readonly stage: string;
  /**
   * Connectors by route name, passed to every function as the `CONNECTORS`
   * JSON variable.
   *
   * NOTE: the template and the function configuration store this value in
   * plain text, so any principal that can read either sees connector URLs and
   * headers.
   *
   * @default {}
   */
  readonly connectors?: Readonly<Record<string, unknown>>;
}

/** Lambda functions of the service, by their key in the definition. */
export type ServiceFunctions = Record<
  keyof ServiceDefinition['functions'],
  NodejsFunction
>;

/**
 * Every AWS resource of one closeout-health stage, built from
 * `defineService(stage)` so that the local runtime creates the same names
 * and settings.
 */
export class CloseoutHealthStack extends Stack {
  /** Names and settings that the resources of this stack are built from. */
  readonly service: ServiceDefinition;
  readonly table: Table;
  readonly alertTopic: Topic;
  readonly alertDeliveryQueue: Queue;
  readonly retryQueue: Queue;
  readonly functions: ServiceFunctions;
  readonly httpApi: HttpApi;

  constructor(scope: Construct, id: string, props: CloseoutHealthStackProps) {
    super(scope, id, props);
    this.service = defineService(props.stage);
    const service = this.service;

    this.table = this.createTable();

    this.alertTopic = new Topic(this, 'AlertTopic', {
      topicName: service.alertTopicName,
      enforceSSL: true,
      // Signs notifications with SHA256 instead of SHA1.
      signatureVersion: '2',
    });
    this.alertDeliveryQueue = this.createQueue(
      'AlertDeliveryQueue',
      service.alertDeliveryQueue,
    );
    // Raw delivery stays off because deliver-alert parses the SNS envelope.
    this.alertTopic.addSubscription(
      new SqsSubscription(this.alertDeliveryQueue, {
        rawMessageDelivery: false,
      }),
    );
    this.retryQueue = this.createQueue('RetryQueue', service.retryQueue);

    const environment = {
      TABLE_NAME: this.table.tableName,
      EVALUATION_ZONE: 'UTC',
      WARNING_DAYS: '30',
      CRITICAL_DAYS: '7',
      POWERTOOLS_SERVICE_NAME: 'closeout-health',
      POWERTOOLS_METRICS_NAMESPACE: 'CloseoutHealth',
      CONNECTORS: JSON.stringify(props.connectors ?? {}),
    };
    this.functions = {
      evaluateHealth: this.createFunction(
        'EvaluateHealth',
        service.functions.evaluateHealth,
        { ...environment, ALERT_TOPIC_ARN: this.alertTopic.topicArn },
      ),
      deliverAlert: this.createFunction(
        'DeliverAlert',
        service.functions.deliverAlert,
        environment,
      ),
      retryDelivery: this.createFunction(
        'RetryDelivery',
        service.functions.retryDelivery,
        environment,
      ),
      httpApi: this.createFunction('HttpApi', service.functions.httpApi, {
        ...environment,
        RETRY_QUEUE_URL: this.retryQueue.queueUrl,
      }),
    };
    this.grantAccess();

    new Rule(this, 'EvaluationSchedule', {
      description: 'Starts the periodic health evaluation.',
      schedule: Schedule.expression(service.evaluationSchedule),
      targets: [new LambdaFunction(this.functions.evaluateHealth)],
    });
    this.consumeQueue(this.alertDeliveryQueue, this.functions.deliverAlert);
    this.consumeQueue(this.retryQueue, this.functions.retryDelivery);
    this.httpApi = createHttpApi(this, {
      apiName: this.stackName,
      handler: this.functions.httpApi,
    });

    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.apiEndpoint });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn });
  }

  private createTable(): Table {
    const table = new Table(this, 'EvidenceTable', {
      tableName: this.service.tableName,
      partitionKey: {
        name: TABLE_KEYS.partitionKey,
        type: AttributeType.STRING,
      },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_KEYS.timeToLive,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.registryIndex,
      partitionKey: {
        name: TABLE_KEYS.registryPartitionKey,
        type: AttributeType.STRING,
      },
      sortKey: {
        name: TABLE_KEYS.registrySortKey,
        type: AttributeType.STRING,
      },
    });
    return table;
  }

  /** Creates a queue with the dead-letter queue for its poison messages. */
  private createQueue(id: string, definition: QueueDefinition): Queue {
    const retentionPeriod = Duration.seconds(definition.retentionSeconds);
    const deadLetterQueue = new Queue(this, `${id}DeadLetterQueue`, {
      queueName: definition.deadLetterQueueName,
      retentionPeriod,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    return new Queue(this, id, {
      queueName: definition.name,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: {
        queue: deadLetterQueue,
        maxReceiveCount: definition.maxReceiveCount,
      },
    });
  }

  private createFunction(
    id: string,
    definition: FunctionDefinition,
    environment: Record<string, string>,
  ): NodejsFunction {
    return new ServiceFunction(this, id, {
      definition,
      projectRoot: PROJECT_ROOT,
      environment,
    }).lambdaFunction;
  }

  /** Grants each function access to the resources that it uses, and no more. */
  private grantAccess(): void {
    for (const lambdaFunction of Object.values(this.functions)) {
      this.table.grantReadWriteData(lambdaFunction);
    }
    this.alertTopic.grantPublish(this.functions.evaluateHealth);
    this.retryQueue.grantSendMessages(this.functions.httpApi);
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
