/**
 * An SQS queue of the test, subscribed to the stack's operations topic, so
 * that the test can read the alarm notifications that operators would get.
 */

import {
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

import { LOCAL_REGION } from './cdk-cli.ts';
import type { Cleanup } from './cleanup.ts';

export interface OperationsQueue {
  /** Waits up to `waitSeconds` (at most 20) and returns the message bodies. */
  receive(waitSeconds: number): Promise<string[]>;
}

/**
 * Creates the queue `queueName`, subscribes it to `topicArn` with raw
 * message delivery and registers its removal with `cleanup`.
 */
export async function subscribeOperationsQueue(
  endpoint: string,
  topicArn: string,
  queueName: string,
  cleanup: Cleanup,
): Promise<OperationsQueue> {
  const config = {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);

  const { QueueUrl: queueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: queueName }),
  );
  cleanup.add(`deleting the queue ${queueName}`, async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['QueueArn'],
    }),
  );
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes?.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
      ReturnSubscriptionArn: true,
    }),
  );
  cleanup.add('unsubscribing from the operations topic', async () => {
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
  });

  return {
    async receive(waitSeconds) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
        }),
      );
      return Messages.map((message) => message.Body ?? '');
    },
  };
}
