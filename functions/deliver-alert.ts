/**
 * Alert delivery function: consumes alert plans that SNS delivered to the
 * alert queue and sends each to its connector routes.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { createConnectorResolver } from '#lib/adapters/connector-settings.ts';
import { EvidenceRepository } from '#lib/adapters/evidence-repository.ts';
import { readConfig } from '#lib/config.ts';
import { processQueueBatch } from '#lib/lambda/queue-batch.ts';
import { logger, METRIC, metrics } from '#lib/observability.ts';
import {
  AlertPlanMessageSchema,
  deliverAlert,
  SnsEnvelopeSchema,
} from '#lib/operations/deliver-alert.ts';
import { parseInput, parseJson } from '#lib/validation.ts';

const config = readConfig();
const repository = new EvidenceRepository(
  awsClients().documents,
  config.tableName,
);
const resolveConnector = createConnectorResolver(config.connectorSettings);

async function handleRecord(record: SQSRecord) {
  const envelope = parseInput(
    SnsEnvelopeSchema,
    parseJson(record.body, 'SNS notification'),
    'SNS notification',
  );
  const plan = parseInput(
    AlertPlanMessageSchema,
    parseJson(envelope.Message, 'alert plan'),
    'alert plan',
  );
  const outcomes = await deliverAlert(
    repository,
    resolveConnector,
    plan,
    () => new Date(),
  );
  const failed = outcomes.filter((outcome) => outcome.state === 'failed');
  metrics.addMetric(
    METRIC.alertDeliveryFailures,
    MetricUnit.Count,
    failed.length,
  );
  logger.info('alert delivered', { alertPlanId: plan.alertPlanId, outcomes });
  return outcomes;
}

export const handler = middy((event: SQSEvent, context: Context) =>
  processQueueBatch(event, context, handleRecord),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
