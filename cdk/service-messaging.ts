import { Duration } from 'aws-cdk-lib';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

import type { ServiceDefinition } from '#lib/resources.ts';
import {
  createQueue,
  createQueueWithDeadLetterQueue,
  createTopic,
  subscribeQueue,
} from './messaging.ts';

/** The topics and queues of one stage, all encrypted with one key. */
export interface ServiceMessaging {
  readonly alertTopic: Topic;
  /** Receives the alert topic's notifications for deliver-alert. */
  readonly alertDeliveryQueue: Queue;
  /** Deliveries that a worker run queued for retry-delivery. */
  readonly retryQueue: Queue;
  readonly alertDeliveryDeadLetterQueue: Queue;
  /** Consumed by record-dead-letter, which records exhausted deliveries. */
  readonly retryDeadLetterQueue: Queue;
  /** Receives evaluation runs that failed after their retries. */
  readonly scheduleDeadLetterQueue: Queue;
}

/**
 * Creates the alert topic, the queues with their dead-letter queues and the
 * subscription of the alert-delivery queue, under the construct ids that
 * earlier versions of the stack used, so that no queue or topic is replaced.
 */
export function createServiceMessaging(
  scope: Construct,
  service: ServiceDefinition,
  key: Key,
): ServiceMessaging {
  const alertTopic = createTopic(
    scope,
    'AlertTopic',
    service.alertTopicName,
    key,
  );
  const alertDelivery = createQueueWithDeadLetterQueue(
    scope,
    'AlertDeliveryQueue',
    service.alertDeliveryQueue,
    key,
  );
  // Raw delivery stays off because deliver-alert parses the SNS envelope.
  subscribeQueue(alertTopic, service.alertTopicName, alertDelivery.queue);

  const retry = createQueueWithDeadLetterQueue(
    scope,
    'RetryQueue',
    service.retryQueue,
    key,
  );
  // Nothing consumes this queue, so the visibility timeout only matters to
  // an operator who reads messages in the console.
  const scheduleDeadLetterQueue = createQueue(
    scope,
    'EvaluationScheduleDeadLetterQueue',
    {
      queueName: service.scheduleDeadLetterQueueName,
      key,
      visibilityTimeoutSeconds: 30,
      retentionSeconds: Duration.days(14).toSeconds(),
    },
  );

  return {
    alertTopic,
    alertDeliveryQueue: alertDelivery.queue,
    retryQueue: retry.queue,
    alertDeliveryDeadLetterQueue: alertDelivery.deadLetterQueue,
    retryDeadLetterQueue: retry.deadLetterQueue,
    scheduleDeadLetterQueue,
  };
}
