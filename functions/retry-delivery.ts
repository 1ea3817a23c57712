/**
 * Retry worker function: handles the deliveries that a worker run queued,
 * as a dry run or live, and reports failed records to SQS one by one.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { RetryMessageSchema } from '#lib/adapters/retry-queue.ts';
import { readConfig } from '#lib/config.ts';
import { processQueueBatch } from '#lib/lambda/queue-batch.ts';
import { createRetryWorkerDependencies } from '#lib/lambda/retry-worker-setup.ts';
import { logger, METRIC, metrics } from '#lib/observability.ts';
import { processRetryMessage } from '#lib/operations/retry-worker.ts';
import { parseInput, parseJson } from '#lib/validation.ts';

const dependencies = createRetryWorkerDependencies(readConfig(), awsClients());

async function handleRecord(record: SQSRecord) {
  const message = parseInput(
    RetryMessageSchema,
    parseJson(record.body, 'retry message'),
    'retry message',
  );
  const handling = await processRetryMessage(dependencies, message, {
    messageId: record.messageId,
  });
  const ids = {
    runId: message.runId,
    deliveryId: message.deliveryId,
    messageId: record.messageId,
  };
  if (handling.kind === 'recorded') {
    const outcome = handling.record.outcome;
    metrics.addMetric(METRIC.executionOutcome(outcome), MetricUnit.Count, 1);
    logger.info('delivery recorded', { ...ids, outcome });
  } else {
    logger.info('delivery pending', { ...ids, handling });
  }
  return handling;
}

export const handler = middy((event: SQSEvent, context: Context) =>
  processQueueBatch(event, context, handleRecord, async () => {
    dependencies.idempotencyConfig.registerLambdaContext(context);
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
