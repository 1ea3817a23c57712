/**
 * Names and settings of every AWS resource that closeout-health uses.
 *
 * The CDK stack and the local runtime both build their resources from this
 * one definition, so a queue or table behaves the same on AWS, LocalStack,
 * MiniStack and moto. Plain data only: no CDK or SDK types.
 */

/** Attribute names of the evidence table and its index. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  registryIndex: 'gsi1',
  registryPartitionKey: 'gsi1pk',
  registrySortKey: 'gsi1sk',
  /** Epoch seconds; only idempotency and lock items carry it. */
  timeToLive: 'expiration',
} as const;

/** A queue together with its dead-letter queue. */
export interface QueueDefinition {
  name: string;
  deadLetterQueueName: string;
  /** Seconds; at least six times the consumer's timeout. */
  visibilityTimeoutSeconds: number;
  /** Seconds; at least six times the timeout of the dead-letter consumer. */
  deadLetterVisibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue. */
  maxReceiveCount: number;
  /** Seconds that SQS keeps a message, in either queue. */
  retentionSeconds: number;
}

/** One Lambda function: its entry module and runtime limits. */
export interface FunctionDefinition {
  /** Path of the entry module, relative to the project root. */
  entry: string;
  timeoutSeconds: number;
  memoryMiB: number;
}

/** An SQS event source mapping between a queue and a function. */
export interface QueueConsumerDefinition {
  batchSize: number;
  maxBatchingWindowSeconds: number;
}

/** Every resource of one deployment stage. */
export interface ServiceDefinition {
  stage: string;
  tableName: string;
  alertTopicName: string;
  alertDeliveryQueue: QueueDefinition;
  retryQueue: QueueDefinition;
  queueConsumer: QueueConsumerDefinition;
  /** Topic of the operators' alarms. */
  operationsTopicName: string;
  /** EventBridge schedule expression of the health evaluation. */
  evaluationSchedule: string;
  /** Receives schedule invocations that failed after their retries. */
  scheduleDeadLetterQueueName: string;
  functions: {
    evaluateHealth: FunctionDefinition;
    deliverAlert: FunctionDefinition;
    retryDelivery: FunctionDefinition;
    /** Consumes the retry dead-letter queue and records exhausted deliveries. */
    recordDeadLetter: FunctionDefinition;
    httpApi: FunctionDefinition;
  };
}

const FOURTEEN_DAYS_SECONDS = 14 * 24 * 60 * 60;
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,23}$/;

/**
 * Builds the definition of one stage.
 *
 * @param stage - lower-case name that prefixes every resource, such as
 *   `prod` or `local`; at most 24 characters of `a-z`, `0-9` and `-`.
 * @throws Error when the stage name is invalid.
 */
export function defineService(stage: string): ServiceDefinition {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `Invalid stage "${stage}": use 1 to 24 characters of a-z, 0-9 and "-", starting with a letter.`,
    );
  }
  const prefix = `closeout-health-${stage}`;
  const functions = {
    evaluateHealth: {
      entry: 'functions/evaluate-health.ts',
      timeoutSeconds: 60,
      memoryMiB: 512,
    },
    deliverAlert: {
      entry: 'functions/deliver-alert.ts',
      timeoutSeconds: 30,
      memoryMiB: 256,
    },
    retryDelivery: {
      entry: 'functions/retry-delivery.ts',
      timeoutSeconds: 30,
      memoryMiB: 256,
    },
    recordDeadLetter: {
      entry: 'functions/record-dead-letter.ts',
      timeoutSeconds: 30,
      memoryMiB: 256,
    },
    httpApi: {
      entry: 'functions/http-api.ts',
      timeoutSeconds: 29,
      memoryMiB: 512,
    },
  };

  return {
    stage,
    tableName: `${prefix}-evidence`,
    alertTopicName: `${prefix}-alerts`,
    alertDeliveryQueue: {
      name: `${prefix}-alert-delivery`,
      deadLetterQueueName: `${prefix}-alert-delivery-dlq`,
      visibilityTimeoutSeconds: 6 * functions.deliverAlert.timeoutSeconds,
      deadLetterVisibilityTimeoutSeconds:
        6 * functions.recordDeadLetter.timeoutSeconds,
      maxReceiveCount: 5,
      retentionSeconds: FOURTEEN_DAYS_SECONDS,
    },
    retryQueue: {
      name: `${prefix}-delivery-retry`,
      deadLetterQueueName: `${prefix}-delivery-retry-dlq`,
      visibilityTimeoutSeconds: 6 * functions.retryDelivery.timeoutSeconds,
      deadLetterVisibilityTimeoutSeconds:
        6 * functions.recordDeadLetter.timeoutSeconds,
      maxReceiveCount: 5,
      retentionSeconds: FOURTEEN_DAYS_SECONDS,
    },
    queueConsumer: { batchSize: 10, maxBatchingWindowSeconds: 1 },
    operationsTopicName: `${prefix}-operations`,
    evaluationSchedule: 'rate(1 hour)',
    scheduleDeadLetterQueueName: `${prefix}-schedule-dlq`,
    functions,
  };
}
