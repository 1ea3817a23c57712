/**
 * Creates the resources of one stage on a local endpoint, from the same
 * definition that the CDK stack uses. Every step tolerates resources that
 * exist, so provisioning twice changes nothing.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateTopicCommand,
  type SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from '../adapters/aws-clients.ts';
import {
  type QueueDefinition,
  type ServiceDefinition,
  TABLE_KEYS,
} from '../resources.ts';

/** A queue as created: its URL and ARN, and those of its dead-letter queue. */
export interface ProvisionedQueue {
  url: string;
  arn: string;
  deadLetterUrl: string;
  deadLetterArn: string;
}

export interface ProvisionedResources {
  tableName: string;
  alertTopicArn: string;
  alertDeliveryQueue: ProvisionedQueue;
  retryQueue: ProvisionedQueue;
}

async function createTable(dynamodb: DynamoDBClient, tableName: string) {
  const { partitionKey, sortKey, registryIndex } = TABLE_KEYS;
  const { registryPartitionKey, registrySortKey } = TABLE_KEYS;
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          partitionKey,
          sortKey,
          registryPartitionKey,
          registrySortKey,
        ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: registryIndex,
            KeySchema: [
              { AttributeName: registryPartitionKey, KeyType: 'HASH' },
              { AttributeName: registrySortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) {
      throw error;
    }
  }
  await waitUntilTableExists(
    { client: dynamodb, maxWaitTime: 60 },
    { TableName: tableName },
  );
  const { Table } = await dynamodb.send(
    new DescribeTableCommand({ TableName: tableName }),
  );
  if (Table?.TableStatus !== 'ACTIVE') {
    throw new Error(`Table ${tableName} is ${Table?.TableStatus}, not ACTIVE`);
  }
  await dynamodb
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: {
          AttributeName: TABLE_KEYS.timeToLive,
          Enabled: true,
        },
      }),
    )
    .catch((error: unknown) => {
      // Enabling TTL that is already enabled is rejected; that state is the goal.
      if (!(error instanceof Error && /already enabled/i.test(error.message))) {
        throw error;
      }
    });
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['QueueArn'],
    }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) {
    throw new Error(`Queue ${url} has no ARN`);
  }
  return arn;
}

async function createQueue(
  sqs: SQSClient,
  definition: QueueDefinition,
): Promise<ProvisionedQueue> {
  const retention = String(definition.retentionSeconds);
  const deadLetter = await sqs.send(
    new CreateQueueCommand({
      QueueName: definition.deadLetterQueueName,
      Attributes: {
        MessageRetentionPeriod: retention,
        VisibilityTimeout: String(
          definition.deadLetterVisibilityTimeoutSeconds,
        ),
      },
    }),
  );
  const deadLetterUrl = deadLetter.QueueUrl ?? '';
  const deadLetterArn = await queueArn(sqs, deadLetterUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: definition.name,
      Attributes: {
        MessageRetentionPeriod: retention,
        VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: deadLetterArn,
          maxReceiveCount: definition.maxReceiveCount,
        }),
      },
    }),
  );
  const url = queue.QueueUrl ?? '';
  return { url, arn: await queueArn(sqs, url), deadLetterUrl, deadLetterArn };
}

async function subscribeQueue(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  queue: ProvisionedQueue,
) {
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queue.arn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  };
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queue.url,
      Attributes: { Policy: JSON.stringify(policy) },
    }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
    }),
  );
}

/** Creates the table, topic, queues and subscription of a stage. */
export async function provisionResources(
  clients: AwsClients,
  definition: ServiceDefinition,
): Promise<ProvisionedResources> {
  await createTable(clients.dynamodb, definition.tableName);
  const topic = await clients.sns.send(
    new CreateTopicCommand({ Name: definition.alertTopicName }),
  );
  const alertTopicArn = topic.TopicArn ?? '';
  const alertDeliveryQueue = await createQueue(
    clients.sqs,
    definition.alertDeliveryQueue,
  );
  const retryQueue = await createQueue(clients.sqs, definition.retryQueue);
  await subscribeQueue(
    clients.sns,
    clients.sqs,
    alertTopicArn,
    alertDeliveryQueue,
  );
  return {
    tableName: definition.tableName,
    alertTopicArn,
    alertDeliveryQueue,
    retryQueue,
  };
}
