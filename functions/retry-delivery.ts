/**
 * Retry worker function: handles the deliveries that a worker run queued,
 * as a dry run or live, and reports failed records to SQS one by one.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { EvidenceRepository } from '#lib/adapters/evidence-repository.ts';
import { RetryMessageSchema } from '#lib/adapters/retry-queue.ts';
import { readConfig } from '#lib/config.ts';
import { DEFAULT_RETRY_POLICY } from '#lib/domain/retry.ts';
import { processQueueBatch } from '#lib/lambda/queue-batch.ts';
import { logger, METRIC, metrics } from '#lib/observability.ts';
import {
  createSendIdempotencyConfig,
  processRetryMessage,
  type RetryWorkerDependencies,
} from '#lib/operations/retry-worker.ts';
import { TABLE_KEYS } from '#lib/resources.ts';
import { parseInput, parseJson } from '#lib/validation.ts';

const config = readConfig();
const clients = awsClients();
const idempotencyConfig = createSendIdempotencyConfig();
const dependencies: RetryWorkerDependencies = {
  repository: new EvidenceRepository(clients.documents, config.tableName),
  connectors: config.connectors,
  policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.maxAttempts },
  now: () => new Date(),
  persistence: new DynamoDBPersistenceLayer({
    tableName: config.tableName,
    keyAttr: TABLE_KEYS.partitionKey,
    sortKeyAttr: TABLE_KEYS.sortKey,
    staticPkValue: 'IDEMPOTENCY#live-send',
    expiryAttr: TABLE_KEYS.timeToLive,
    awsSdkV3Client: clients.dynamodb,
  }),
  idempotencyConfig,
};

async function handleRecord(record: SQSRecord) {
  const message = parseInput(
    RetryMessageSchema,
    parseJson(record.body, 'retry message'),
    'retry message',
  );
  const execution = await processRetryMessage(dependencies, message);
  metrics.addMetric(
    METRIC.executionOutcome(execution.outcome),
    MetricUnit.Count,
    1,
  );
  logger.info('delivery handled', {
    runId: execution.runId,
    deliveryId: execution.deliveryId,
    outcome: execution.outcome,
  });
  return execution;
}

export const handler = middy((event: SQSEvent, context: Context) => {
  idempotencyConfig.registerLambdaContext(context);
  return processQueueBatch(event, context, handleRecord);
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
