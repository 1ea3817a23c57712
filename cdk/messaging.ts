import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { type Subscription, Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import type { QueueDefinition } from '#lib/resources.ts';
import { MESSAGE_KEY_ACTIONS } from './messaging-key.ts';

/**
 * Creates an SNS topic encrypted with `key` that denies publishing without
 * TLS and signs its notifications with SHA256.
 */
export function createTopic(
  scope: Construct,
  id: string,
  topicName: string,
  key: Key,
): Topic {
  return new Topic(scope, id, {
    topicName,
    masterKey: key,
    enforceSSL: true,
    signatureVersion: '2',
  });
}

/**
 * Subscribes a queue to a topic of the same stack, with SNS envelopes
 * instead of raw messages.
 *
 * The subscription names the topic by an ARN built from `topicName`.
 * `SqsSubscription` adds a key policy statement that lets SNS encrypt for
 * the queue only on behalf of the topic. With a reference to the topic
 * resource there, the key would depend on the topic, which depends on the
 * key, and CloudFormation rejects that cycle.
 */
export function subscribeQueue(
  topic: Topic,
  topicName: string,
  queue: Queue,
): Subscription {
  const topicByName = Topic.fromTopicArn(
    topic.stack,
    `${topic.node.id}ByName`,
    topic.stack.formatArn({ service: 'sns', resource: topicName }),
  );
  const subscription = topicByName.addSubscription(
    new SqsSubscription(queue, { rawMessageDelivery: false }),
  );
  subscription.node.addDependency(topic);
  return subscription;
}

/**
 * Creates an SQS queue encrypted with `key` that denies requests without
 * TLS.
 */
export function createQueue(
  scope: Construct,
  id: string,
  props: {
    queueName: string;
    key: Key;
    visibilityTimeoutSeconds: number;
    retentionSeconds: number;
    deadLetterQueue?: { queue: Queue; maxReceiveCount: number };
  },
): Queue {
  return new Queue(scope, id, {
    queueName: props.queueName,
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
    retentionPeriod: Duration.seconds(props.retentionSeconds),
    ...(props.deadLetterQueue && { deadLetterQueue: props.deadLetterQueue }),
  });
}

/** A queue and the dead-letter queue that receives its poison messages. */
export interface QueueWithDeadLetterQueue {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * Creates the queue of a definition with its dead-letter queue, whose id is
 * `<id>DeadLetterQueue`. SQS moves a message there after
 * `definition.maxReceiveCount` receives.
 */
export function createQueueWithDeadLetterQueue(
  scope: Construct,
  id: string,
  definition: QueueDefinition,
  key: Key,
): QueueWithDeadLetterQueue {
  const deadLetterQueue = createQueue(scope, `${id}DeadLetterQueue`, {
    queueName: definition.deadLetterQueueName,
    key,
    visibilityTimeoutSeconds: definition.deadLetterVisibilityTimeoutSeconds,
    retentionSeconds: definition.retentionSeconds,
  });
  const queue = createQueue(scope, id, {
    queueName: definition.name,
    key,
    visibilityTimeoutSeconds: definition.visibilityTimeoutSeconds,
    retentionSeconds: definition.retentionSeconds,
    deadLetterQueue: {
      queue: deadLetterQueue,
      maxReceiveCount: definition.maxReceiveCount,
    },
  });
  return { queue, deadLetterQueue };
}

/**
 * Lets `grantee` send to the queue. Unlike `Queue.grantSendMessages`, this
 * grants no queue attribute reads and names each key action.
 */
export function grantSendMessages(queue: Queue, grantee: IGrantable): void {
  queue.grants.actions(grantee, ['sqs:SendMessage'], {
    keyActions: MESSAGE_KEY_ACTIONS,
  });
}

/** Lets `grantee` publish to the topic, naming each key action. */
export function grantPublish(topic: Topic, grantee: IGrantable): void {
  topic.grants.actions(grantee, ['sns:Publish'], {
    keyActions: MESSAGE_KEY_ACTIONS,
  });
}
