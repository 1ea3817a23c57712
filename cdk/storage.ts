import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

import { type ServiceDefinition, TABLE_KEYS } from '#lib/resources.ts';

/**
 * DynamoDB actions of the evidence repository. A transaction needs no action
 * of its own, because DynamoDB checks each `Put` and `Update` in it as
 * `PutItem` and `UpdateItem`. The repository sends no `ConditionCheck`, so
 * `ConditionCheckItem` is not granted.
 */
const ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:Query',
];

/** Table access of a function beyond {@link ITEM_ACTIONS}. */
export interface TableAccess {
  /**
   * Query the tenant registry index `gsi1`, which lists every tenant.
   *
   * @default false
   */
  readonly queryRegistry?: boolean;
  /**
   * Delete items. Powertools idempotency deletes its record when the
   * handler fails, so that a retry can run again.
   *
   * @default false
   */
  readonly deleteItems?: boolean;
}

/**
 * Creates the evidence table with the construct id `EvidenceTable` in
 * `scope`. The table survives the deletion of the stack, cannot be deleted
 * while deletion protection is on, and can be restored to any second of the
 * last 35 days.
 */
export function createEvidenceTable(
  scope: Construct,
  service: ServiceDefinition,
): Table {
  const table = new Table(scope, 'EvidenceTable', {
    tableName: service.tableName,
    partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    // Only idempotency and lock items carry it; every other record is kept.
    timeToLiveAttribute: TABLE_KEYS.timeToLive,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  table.addGlobalSecondaryIndex({
    indexName: TABLE_KEYS.registryIndex,
    partitionKey: {
      name: TABLE_KEYS.registryPartitionKey,
      type: AttributeType.STRING,
    },
    sortKey: { name: TABLE_KEYS.registrySortKey, type: AttributeType.STRING },
  });
  return table;
}

/**
 * Grants `grantee` the item actions of the evidence repository on the table
 * itself, plus what `access` adds. Unlike `Table.grantReadWriteData`, this
 * grants no scan, batch or stream action and no index except `gsi1`.
 */
export function grantTableAccess(
  table: Table,
  grantee: IGrantable,
  access: TableAccess = {},
): void {
  const actions = [...ITEM_ACTIONS];
  if (access.deleteItems) {
    actions.push('dynamodb:DeleteItem');
  }
  Grant.addToPrincipal({
    grantee,
    actions,
    resourceArns: [table.tableArn],
  });

  if (access.queryRegistry) {
    Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${table.tableArn}/index/${TABLE_KEYS.registryIndex}`],
    });
  }
}
