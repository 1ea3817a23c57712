/**
 * Builds the retry worker's dependencies from the service settings: the
 * repository, circuit store, retry queue, connector resolver, per-connector
 * policies and the idempotency store of live sends.
 */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { AwsClients } from '../adapters/aws-clients.ts';
import { CircuitStore } from '../adapters/circuit-store.ts';
import { createConnectorResolver } from '../adapters/connector-settings.ts';
import { EvidenceRepository } from '../adapters/evidence-repository.ts';
import { RetryQueue } from '../adapters/retry-queue.ts';
import { requireSetting, type ServiceConfig } from '../config.ts';
import { circuitPolicyOf, retryPolicyOf } from '../delivery-policy.ts';
import {
  createSendIdempotencyConfig,
  type RetryWorkerDependencies,
} from '../operations/retry-worker.ts';
import { TABLE_KEYS } from '../resources.ts';

/** Partition of the idempotency records of live sends. */
export const LIVE_SEND_IDEMPOTENCY_PARTITION = 'IDEMPOTENCY#live-send';

export function createRetryWorkerDependencies(
  config: ServiceConfig,
  clients: AwsClients,
  now: () => Date = () => new Date(),
): RetryWorkerDependencies {
  const settings = config.connectorSettings;
  return {
    repository: new EvidenceRepository(clients.documents, config.tableName),
    circuits: new CircuitStore(clients.documents, config.tableName),
    queue: new RetryQueue(
      clients.sqs,
      requireSetting(config.retryQueueUrl, 'RETRY_QUEUE_URL'),
    ),
    resolveConnector: createConnectorResolver(settings),
    policyFor: (route) => retryPolicyOf(settings[route], config.maxAttempts),
    circuitPolicyFor: (route) => circuitPolicyOf(settings[route]),
    now,
    persistence: new DynamoDBPersistenceLayer({
      tableName: config.tableName,
      keyAttr: TABLE_KEYS.partitionKey,
      sortKeyAttr: TABLE_KEYS.sortKey,
      staticPkValue: LIVE_SEND_IDEMPOTENCY_PARTITION,
      expiryAttr: TABLE_KEYS.timeToLive,
      awsSdkV3Client: clients.dynamodb,
    }),
    idempotencyConfig: createSendIdempotencyConfig(),
  };
}
