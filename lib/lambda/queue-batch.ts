/**
 * Partial batch responses of the SQS consumers. A record whose handler throws
 * is reported alone in `batchItemFailures`. An error before any record was
 * handled reports every record of the batch, never an empty list.
 */
import {
  BatchProcessor,
  EventType,
  processPartialResponse,
} from '@aws-lambda-powertools/batch';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { logger } from '../observability.ts';

/**
 * Runs `prepare` once, then `handleRecord` on each record of the batch, and
 * returns the ids of the records that failed.
 */
export async function processQueueBatch(
  event: SQSEvent,
  context: Context,
  handleRecord: (record: SQSRecord) => Promise<unknown>,
  prepare: () => Promise<void> = async () => {},
): Promise<SQSBatchResponse> {
  const records = Array.isArray(event.Records) ? event.Records : [];
  logger.info('batch received', { records: records.length });
  try {
    await prepare();
    const processor = new BatchProcessor(EventType.SQS);
    const response = await processPartialResponse(
      event,
      async (record: SQSRecord) => {
        try {
          return await handleRecord(record);
        } catch (error) {
          logger.warn('record failed', { messageId: record.messageId, error });
          throw error;
        }
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
    logger.info('batch processed', {
      records: records.length,
      failed: response.batchItemFailures.length,
    });
    return response;
  } catch (error) {
    logger.error('batch failed before its records were handled', { error });
    return {
      batchItemFailures: records.map((record) => ({
        itemIdentifier: record.messageId,
      })),
    };
  }
}
