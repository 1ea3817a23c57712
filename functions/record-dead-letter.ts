/**
 * Dead-letter function: records retry messages that SQS moved to the retry
 * dead-letter queue after `maxReceiveCount` receives.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { EvidenceRepository } from '#lib/adapters/evidence-repository.ts';
import { RetryMessageSchema } from '#lib/adapters/retry-queue.ts';
import { readConfig } from '#lib/config.ts';
import { processQueueBatch } from '#lib/lambda/queue-batch.ts';
import { logger, METRIC, metrics } from '#lib/observability.ts';
import { recordDeadLetter } from '#lib/operations/record-dead-letter.ts';
import { parseInput, parseJson } from '#lib/validation.ts';

const config = readConfig();
const repository = new EvidenceRepository(
  awsClients().documents,
  config.tableName,
);

async function handleRecord(record: SQSRecord) {
  const message = parseInput(
    RetryMessageSchema,
    parseJson(record.body, 'dead-lettered retry message'),
    'dead-lettered retry message',
  );
  const handling = await recordDeadLetter(
    repository,
    message,
    {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    },
    new Date(),
  );
  if (handling.created) {
    metrics.addMetric(
      METRIC.executionOutcome('exhausted'),
      MetricUnit.Count,
      1,
    );
  }
  logger.warn('delivery dead-lettered', {
    tenantId: message.tenantId,
    runId: message.runId,
    deliveryId: message.deliveryId,
    messageId: record.messageId,
    deliveryExhausted: handling.deliveryExhausted,
  });
  return handling;
}

export const handler = middy((event: SQSEvent, context: Context) =>
  processQueueBatch(event, context, handleRecord),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
