/**
 * DynamoDB store of the connector circuit breakers, one item per route. The
 * writes use optimistic locking, so concurrent workers do not lose a
 * failure and only one of them wins a probe lease.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CircuitState } from '../domain/circuit-breaker.ts';
import { connectorKey, SORT_KEYS } from './table-keys.ts';

const MAX_WRITE_TRIES = 5;

type StoredCircuit = CircuitState & { version: number };

export class CircuitStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.#documents = documents;
    this.#tableName = tableName;
  }

  async get(route: string): Promise<StoredCircuit | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: connectorKey(route), sk: SORT_KEYS.circuit },
        ConsistentRead: true,
      }),
    );
    if (!Item) {
      return undefined;
    }
    const { pk: _pk, sk: _sk, ...state } = Item;
    return state as StoredCircuit;
  }

  /** Writes `next` if the stored version is still `version`; false otherwise. */
  async #write(next: CircuitState, version: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...next,
            version: version + 1,
            pk: connectorKey(next.route),
            sk: SORT_KEYS.circuit,
          },
          ConditionExpression:
            version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
          ...(version === 0
            ? {}
            : { ExpressionAttributeValues: { ':version': version } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Applies `change` to the stored state and writes it, re-reading and
   * retrying when another worker wrote in between.
   */
  async update(
    route: string,
    change: (state: CircuitState | undefined) => CircuitState,
  ): Promise<CircuitState> {
    for (let attempt = 0; attempt < MAX_WRITE_TRIES; attempt += 1) {
      const stored = await this.get(route);
      const next = change(stored);
      if (await this.#write(next, stored?.version ?? 0)) {
        return next;
      }
    }
    throw new Error(
      `Circuit of route ${route} changed ${MAX_WRITE_TRIES} times while it was updated`,
    );
  }

  /**
   * Takes the probe lease of an open circuit until `leaseUntil`. Returns
   * false when another worker has the lease or the state changed.
   */
  async acquireProbe(
    route: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<boolean> {
    const stored = await this.get(route);
    if (!stored?.openUntil || Date.parse(stored.openUntil) > now.getTime()) {
      return false;
    }
    if (
      stored.probeLeaseUntil &&
      Date.parse(stored.probeLeaseUntil) > now.getTime()
    ) {
      return false;
    }
    const { version, ...state } = stored;
    return this.#write(
      { ...state, probeLeaseUntil: leaseUntil.toISOString() },
      version,
    );
  }
}
