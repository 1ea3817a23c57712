/**
 * DynamoDB repository of every closeout-health record. One table, keys
 * scoped by tenant, and a condition on every write that changes state, so a
 * repeated write never creates a second record.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AlertPlan, AlertState, Silence } from '../domain/alert-plan.ts';
import type { TenantEvidence } from '../domain/health.ts';
import type { ImportedEvidence } from '../domain/import-package.ts';
import type {
  CloseoutEvidence,
  DeadLetterRecord,
  Delivery,
  ExecutionRecord,
  HealthReport,
  RetryPlan,
  WorkerRun,
} from '../domain/model.ts';
import {
  ALWAYS_AT_RISK,
  closeoutAtRiskFrom,
  deliveryAtRiskFrom,
} from '../domain/risk.ts';
import { ConflictError } from '../errors.ts';
import { TABLE_KEYS } from '../resources.ts';
import {
  RISK_REGISTRY,
  riskAttributes,
  SORT_KEYS,
  SORT_PREFIXES,
  TENANT_REGISTRY,
  tenantKey,
} from './table-keys.ts';

/** The registry entry of a tenant. */
export interface TenantRecord {
  tenantId: string;
  alertRoutes: string[];
  createdAt: string;
}

/** Request and response evidence of one alert sent to one route. */
export interface AlertDeliveryEvidence {
  tenantId: string;
  alertPlanId: string;
  route: string;
  state: 'delivered' | 'failed';
  request: { method: string; url: string; headers: Record<string, string> };
  response?: { statusCode: number } | undefined;
  error?: string | undefined;
  recordedAt: string;
}

const NOT_EXISTS = 'attribute_not_exists(pk)';

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof TransactionCanceledException &&
      (error.CancellationReasons ?? []).some(
        (reason) => reason.Code === 'ConditionalCheckFailed',
      ))
  );
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _gsi1pk,
    gsi1sk: _gsi1sk,
    ...record
  } = item;
  return record as T;
}

export class EvidenceRepository {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(documents: DynamoDBDocumentClient, tableName: string) {
    this.#documents = documents;
    this.#tableName = tableName;
  }

  async #get<T>(tenantId: string, sk: string): Promise<T | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: tenantKey(tenantId), sk },
        ConsistentRead: true,
      }),
    );
    return Item ? stripKeys<T>(Item) : undefined;
  }

  /** Runs a query on the table, page by page, and returns every page. */
  async #queryPages(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
  ): Promise<QueryCommandOutput[]> {
    const pages: QueryCommandOutput[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          ...input,
          TableName: this.#tableName,
          ExclusiveStartKey: startKey,
        }),
      );
      pages.push(page);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return pages;
  }

  /** Reads a tenant's records whose sort key starts with `prefix`. */
  async #query<T>(tenantId: string, prefix: string): Promise<T[]> {
    const pages = await this.#queryPages(this.#prefixQuery(tenantId, prefix));
    return pages.flatMap((page) => (page.Items ?? []).map(stripKeys<T>));
  }

  #prefixQuery(tenantId: string, prefix: string) {
    return {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': tenantKey(tenantId),
        ':prefix': prefix,
      },
      ConsistentRead: true,
    };
  }

  /**
   * Runs a conditional write. Returns false when its condition failed and
   * rethrows any other error.
   */
  async #writeUnlessConditionFails(
    write: () => Promise<unknown>,
  ): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        return false;
      }
      throw error;
    }
  }

  /** Inserts a record unless one with the same key exists; returns whether it did. */
  async #putNew(
    tenantId: string,
    sk: string,
    record: object,
  ): Promise<boolean> {
    return this.#writeUnlessConditionFails(() =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...record, pk: tenantKey(tenantId), sk },
          ConditionExpression: NOT_EXISTS,
        }),
      ),
    );
  }

  #newItem(tenantId: string, sk: string, record: object) {
    return {
      Put: {
        TableName: this.#tableName,
        Item: { ...record, pk: tenantKey(tenantId), sk },
        ConditionExpression: NOT_EXISTS,
      },
    };
  }

  /**
   * Stores every record of an imported package in one transaction, so either
   * all of them are written or none. Returns `unchanged` when the same file
   * was imported for the tenant before.
   */
  async importEvidence(
    imported: ImportedEvidence,
    packageText: string,
  ): Promise<'imported' | 'unchanged'> {
    const { tenantId, packageDigest, closeout } = imported;
    if (await this.#get(tenantId, SORT_KEYS.package(packageDigest))) {
      return 'unchanged';
    }
    const items = [
      this.#newItem(tenantId, SORT_KEYS.package(packageDigest), {
        tenantId,
        packageDigest,
        closeoutId: closeout.closeoutId,
        packageText,
        importedAt: closeout.importedAt,
      }),
      this.#newItem(tenantId, SORT_KEYS.closeout(closeout.closeoutId), {
        ...closeout,
        ...riskAttributes(
          closeoutAtRiskFrom(closeout),
          tenantId,
          `closeout#${closeout.closeoutId}`,
        ),
      }),
      ...imported.deliveries.map((delivery) =>
        this.#newItem(tenantId, SORT_KEYS.delivery(delivery.deliveryId), {
          ...delivery,
          version: 1,
          ...riskAttributes(
            deliveryAtRiskFrom(delivery),
            tenantId,
            `delivery#${delivery.deliveryId}`,
          ),
        }),
      ),
      ...imported.retryPlans.map((plan) =>
        this.#newItem(tenantId, SORT_KEYS.retryPlan(plan.planId), plan),
      ),
      ...imported.workerRuns.map((run) =>
        this.#newItem(tenantId, SORT_KEYS.workerRun(run.runId), run),
      ),
      // New evidence needs a first report, whatever its risk.
      {
        Put: {
          TableName: this.#tableName,
          Item: {
            tenantId,
            pk: tenantKey(tenantId),
            sk: SORT_KEYS.unevaluated,
            markedAt: closeout.importedAt,
            ...riskAttributes(ALWAYS_AT_RISK, tenantId, 'unevaluated'),
          },
        },
      },
      {
        Update: {
          TableName: this.#tableName,
          Key: { pk: tenantKey(tenantId), sk: SORT_KEYS.tenant },
          UpdateExpression:
            'SET tenantId = :tenantId, alertRoutes = :routes, createdAt = if_not_exists(createdAt, :now), #gpk = :registry, #gsk = :tenantId',
          ExpressionAttributeNames: {
            '#gpk': TABLE_KEYS.registryPartitionKey,
            '#gsk': TABLE_KEYS.registrySortKey,
          },
          ExpressionAttributeValues: {
            ':tenantId': tenantId,
            ':routes': imported.alertRoutes,
            ':now': closeout.importedAt,
            ':registry': TENANT_REGISTRY,
          },
        },
      },
    ];
    // What each transaction item stores, in the same order, for errors.
    const subjects = [
      { path: '$', record: `package ${packageDigest}` },
      {
        path: '$.release_closeout_summary.closeout_id',
        record: `closeout ${closeout.closeoutId}`,
      },
      ...imported.deliveries.map((delivery) => ({
        path: '$.release_closeout_summary.public_evidence_refs',
        record: `delivery ${delivery.deliveryId}`,
      })),
      ...imported.retryPlans.map((plan) => ({
        path: '$.closeout_retry_plan.retry_plan_id',
        record: `retry plan ${plan.planId}`,
      })),
      ...imported.workerRuns.map((run) => ({
        path: '$.retry_worker_run.worker_run_id',
        record: `worker run ${run.runId}`,
      })),
    ];
    try {
      await this.#documents.send(
        new TransactWriteCommand({ TransactItems: items }),
      );
      return 'imported';
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw error;
      }
      if (await this.#get(tenantId, SORT_KEYS.package(packageDigest))) {
        return 'unchanged';
      }
      const reasons =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons ?? [])
          : [];
      const index = reasons.findIndex(
        (reason) => reason.Code === 'ConditionalCheckFailed',
      );
      throw new ImportConflictError(
        tenantId,
        subjects[index] ?? subjects[1] ?? { path: '$', record: 'a record' },
      );
    }
  }

  getCloseout(tenantId: string, closeoutId: string) {
    return this.#get<CloseoutEvidence>(
      tenantId,
      SORT_KEYS.closeout(closeoutId),
    );
  }

  getTenant(tenantId: string) {
    return this.#get<TenantRecord>(tenantId, SORT_KEYS.tenant);
  }

  /** Lists every tenant through the registry index. */
  async listTenants(): Promise<TenantRecord[]> {
    const pages = await this.#queryPages({
      IndexName: TABLE_KEYS.registryIndex,
      KeyConditionExpression: '#gpk = :registry',
      ExpressionAttributeNames: { '#gpk': TABLE_KEYS.registryPartitionKey },
      ExpressionAttributeValues: { ':registry': TENANT_REGISTRY },
    });
    return pages.flatMap((page) =>
      (page.Items ?? []).map(stripKeys<TenantRecord>),
    );
  }

  /** Reads everything that a health evaluation of the tenant needs. */
  async loadTenantEvidence(tenantId: string): Promise<TenantEvidence> {
    const [closeouts, deliveries, retryPlans, workerRuns] = await Promise.all([
      this.#query<CloseoutEvidence>(tenantId, SORT_PREFIXES.closeout),
      this.#query<Delivery & { version?: number }>(
        tenantId,
        SORT_PREFIXES.delivery,
      ),
      this.#query<RetryPlan>(tenantId, SORT_PREFIXES.retryPlan),
      this.#query<WorkerRun>(tenantId, SORT_PREFIXES.workerRun),
    ]);
    return {
      tenantId,
      closeouts,
      deliveries: deliveries.map(
        ({ version: _version, ...delivery }) => delivery,
      ),
      retryPlans,
      workerRuns,
    };
  }

  /**
   * Lists the tenants with evidence at risk on or before `date`: closeouts
   * whose retention may raise a finding by then, failed deliveries,
   * unresolved alerts and evidence that no evaluation has seen yet.
   */
  async listTenantsAtRisk(date: string): Promise<string[]> {
    const pages = await this.#queryPages({
      IndexName: TABLE_KEYS.registryIndex,
      KeyConditionExpression: '#gpk = :risk AND #gsk < :after',
      ExpressionAttributeNames: {
        '#gpk': TABLE_KEYS.registryPartitionKey,
        '#gsk': TABLE_KEYS.registrySortKey,
      },
      // Sort keys start with the date, and "$" sorts after every "#".
      ExpressionAttributeValues: {
        ':risk': RISK_REGISTRY,
        ':after': `${date}$`,
      },
      ProjectionExpression: 'tenantId',
    });
    const tenants = new Set(
      pages.flatMap((page) =>
        (page.Items ?? []).map((item) => String(item.tenantId)),
      ),
    );
    return [...tenants].sort();
  }

  /**
   * Takes the tenant's new evidence off the risk index after its first
   * report. Evidence imported after `loadedAt`, which the report has not
   * seen, stays on it.
   */
  async markEvaluated(tenantId: string, loadedAt: Date): Promise<void> {
    await this.#writeUnlessConditionFails(() =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: tenantKey(tenantId), sk: SORT_KEYS.unevaluated },
          UpdateExpression: 'REMOVE #gpk, #gsk',
          ConditionExpression:
            'attribute_exists(#gpk) AND markedAt <= :loadedAt',
          ExpressionAttributeNames: {
            '#gpk': TABLE_KEYS.registryPartitionKey,
            '#gsk': TABLE_KEYS.registrySortKey,
          },
          ExpressionAttributeValues: { ':loadedAt': loadedAt.toISOString() },
        }),
      ),
    );
  }

  /**
   * Stores a report and points the tenant's latest report at it. Returns
   * false when the report was stored before.
   */
  async putReport(report: HealthReport): Promise<boolean> {
    const created = await this.#putNew(
      report.tenantId,
      SORT_KEYS.report(report.reportId),
      report,
    );
    await this.#documents.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          tenantId: report.tenantId,
          pk: tenantKey(report.tenantId),
          sk: SORT_KEYS.latestReport,
          reportId: report.reportId,
          evaluatedAt: report.evaluatedAt,
          // A tenant stays at risk until a report finds it healthy, even when
          // its alert was suppressed and its evidence has left the index.
          ...riskAttributes(
            report.healthState === 'healthy' ? undefined : ALWAYS_AT_RISK,
            report.tenantId,
            'report',
          ),
        },
      }),
    );
    return created;
  }

  async getLatestReport(tenantId: string): Promise<HealthReport | undefined> {
    const latest = await this.#get<{ reportId: string }>(
      tenantId,
      SORT_KEYS.latestReport,
    );
    return latest ? this.getReport(tenantId, latest.reportId) : undefined;
  }

  getReport(tenantId: string, reportId: string) {
    return this.#get<HealthReport>(tenantId, SORT_KEYS.report(reportId));
  }

  getAlertState(tenantId: string) {
    return this.#get<AlertState>(tenantId, SORT_KEYS.alertState);
  }

  async listActiveSilences(tenantId: string, now: Date): Promise<Silence[]> {
    const silences = await this.#query<Silence>(
      tenantId,
      SORT_PREFIXES.silence,
    );
    return silences.filter(
      (silence) => Date.parse(silence.expiresAt) > now.getTime(),
    );
  }

  putSilence(silence: Silence) {
    return this.#putNew(
      silence.tenantId,
      SORT_KEYS.silence(silence.silenceId),
      silence,
    );
  }

  /**
   * Stores an alert plan and, when it was published, the tenant's new alert
   * state, in one transaction. Returns false when the plan was stored before.
   */
  async putAlertPlan(
    plan: AlertPlan,
    state: AlertState | undefined,
  ): Promise<boolean> {
    const items: NonNullable<
      ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
    > = [
      this.#newItem(plan.tenantId, SORT_KEYS.alertPlan(plan.alertPlanId), plan),
    ];
    if (state && plan.status === 'published') {
      items.push({
        Put: {
          TableName: this.#tableName,
          Item: {
            ...state,
            pk: tenantKey(plan.tenantId),
            sk: SORT_KEYS.alertState,
            // An alert stays at risk until its resolved notice is sent.
            ...riskAttributes(
              state.lastKind === 'alert' ? ALWAYS_AT_RISK : undefined,
              plan.tenantId,
              'alert',
            ),
          },
        },
      });
    }
    return this.#writeUnlessConditionFails(() =>
      this.#documents.send(new TransactWriteCommand({ TransactItems: items })),
    );
  }

  getAlertPlan(tenantId: string, alertPlanId: string) {
    return this.#get<AlertPlan>(tenantId, SORT_KEYS.alertPlan(alertPlanId));
  }

  /**
   * Stores the evidence of an alert delivery. Evidence of a failed send may
   * be replaced by a later attempt; delivered evidence is final. Returns
   * false when delivered evidence exists.
   */
  async putAlertDeliveryEvidence(
    evidence: AlertDeliveryEvidence,
  ): Promise<boolean> {
    return this.#writeUnlessConditionFails(() =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...evidence,
            pk: tenantKey(evidence.tenantId),
            sk: SORT_KEYS.alertDelivery(evidence.alertPlanId, evidence.route),
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR #state <> :delivered',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':delivered': 'delivered' },
        }),
      ),
    );
  }

  getAlertDeliveryEvidence(
    tenantId: string,
    alertPlanId: string,
    route: string,
  ) {
    return this.#get<AlertDeliveryEvidence>(
      tenantId,
      SORT_KEYS.alertDelivery(alertPlanId, route),
    );
  }

  listAlertDeliveryEvidence(tenantId: string, alertPlanId: string) {
    return this.#query<AlertDeliveryEvidence>(
      tenantId,
      SORT_PREFIXES.alertDelivery(alertPlanId),
    );
  }

  /** Stores a retry plan unless it exists, and returns the stored plan. */
  async putRetryPlan(
    plan: RetryPlan,
  ): Promise<{ plan: RetryPlan; created: boolean }> {
    const created = await this.#putNew(
      plan.tenantId,
      SORT_KEYS.retryPlan(plan.planId),
      plan,
    );
    if (created) {
      return { plan, created };
    }
    const stored = await this.getRetryPlan(plan.tenantId, plan.planId);
    return { plan: stored ?? plan, created };
  }

  getRetryPlan(tenantId: string, planId: string) {
    return this.#get<RetryPlan>(tenantId, SORT_KEYS.retryPlan(planId));
  }

  /** Stores a worker run unless it exists, and returns the stored run. */
  async putWorkerRun(
    run: WorkerRun,
  ): Promise<{ run: WorkerRun; created: boolean }> {
    const created = await this.#putNew(
      run.tenantId,
      SORT_KEYS.workerRun(run.runId),
      run,
    );
    if (created) {
      return { run, created };
    }
    const stored = await this.getWorkerRun(run.tenantId, run.runId);
    return { run: stored ?? run, created };
  }

  getWorkerRun(tenantId: string, runId: string) {
    return this.#get<WorkerRun>(tenantId, SORT_KEYS.workerRun(runId));
  }

  listWorkerRuns(tenantId: string) {
    return this.#query<WorkerRun>(tenantId, SORT_PREFIXES.workerRun);
  }

  listExecutions(tenantId: string, runId: string) {
    return this.#query<ExecutionRecord>(
      tenantId,
      SORT_PREFIXES.execution(runId),
    );
  }

  getExecution(tenantId: string, runId: string, deliveryId: string) {
    return this.#get<ExecutionRecord>(
      tenantId,
      SORT_KEYS.execution(runId, deliveryId),
    );
  }

  /**
   * Stores an execution record unless the run has one for the delivery, then
   * completes the run once it has a record for every delivery. The run is
   * completed from the stored records, not from a counter, so a worker that
   * stopped between the two writes, or a repeated message, cannot leave the
   * run open. Returns false when the record was stored before.
   */
  async recordExecution(
    record: ExecutionRecord,
    runSize: number,
  ): Promise<boolean> {
    const { tenantId, runId } = record;
    const created = await this.#putNew(
      tenantId,
      SORT_KEYS.execution(runId, record.deliveryId),
      record,
    );
    await this.#completeRunIfDone(tenantId, runId, runSize, record.recordedAt);
    return created;
  }

  async #countExecutions(tenantId: string, runId: string): Promise<number> {
    const pages = await this.#queryPages({
      ...this.#prefixQuery(tenantId, SORT_PREFIXES.execution(runId)),
      Select: 'COUNT',
    });
    return pages.reduce((count, page) => count + (page.Count ?? 0), 0);
  }

  async #completeRunIfDone(
    tenantId: string,
    runId: string,
    runSize: number,
    completedAt: string,
  ): Promise<void> {
    const processed = await this.#countExecutions(tenantId, runId);
    const done = processed >= runSize;
    await this.#writeUnlessConditionFails(() =>
      this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: tenantKey(tenantId), sk: SORT_KEYS.workerRun(runId) },
          UpdateExpression: done
            ? 'SET processedCount = :processed, #state = :completed, completedAt = :at'
            : 'SET processedCount = :processed',
          ConditionExpression:
            'attribute_exists(pk) AND #state = :started AND processedCount <= :processed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':processed': processed,
            ':started': 'started',
            ...(done && { ':completed': 'completed', ':at': completedAt }),
          },
        }),
      ),
    );
  }

  /** Stores a dead-lettered message once; false when it was stored before. */
  putDeadLetter(record: DeadLetterRecord): Promise<boolean> {
    return this.#putNew(
      record.tenantId,
      SORT_KEYS.deadLetter(record.deliveryId, record.messageId),
      record,
    );
  }

  listDeadLetters(tenantId: string): Promise<DeadLetterRecord[]> {
    return this.#query<DeadLetterRecord>(tenantId, SORT_PREFIXES.deadLetter);
  }

  /** Marks dead-lettered messages as retried by a redrive plan. */
  async markRedriven(
    records: DeadLetterRecord[],
    planId: string,
  ): Promise<void> {
    for (const record of records) {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: {
            pk: tenantKey(record.tenantId),
            sk: SORT_KEYS.deadLetter(record.deliveryId, record.messageId),
          },
          UpdateExpression: 'SET redrivePlanId = :planId',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':planId': planId },
        }),
      );
    }
  }

  async getDelivery(tenantId: string, deliveryId: string) {
    const stored = await this.#get<Delivery & { version: number }>(
      tenantId,
      SORT_KEYS.delivery(deliveryId),
    );
    if (!stored) {
      return undefined;
    }
    const { version, ...delivery } = stored;
    return { delivery: delivery as Delivery, version };
  }

  /**
   * Replaces a delivery unless it changed since it was read at `version`.
   * Returns false when it was changed, so the caller re-reads it.
   */
  async updateDelivery(delivery: Delivery, version: number): Promise<boolean> {
    return this.#writeUnlessConditionFails(() =>
      this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...delivery,
            version: version + 1,
            pk: tenantKey(delivery.tenantId),
            sk: SORT_KEYS.delivery(delivery.deliveryId),
            ...riskAttributes(
              deliveryAtRiskFrom(delivery),
              delivery.tenantId,
              `delivery#${delivery.deliveryId}`,
            ),
          },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': version },
        }),
      ),
    );
  }
}

/** Raised when a package's records clash with records of another package. */
export class ImportConflictError extends ConflictError {
  override readonly name = 'ImportConflictError';

  constructor(
    readonly tenantId: string,
    subject: { path: string; record: string },
  ) {
    super(
      `Tenant ${tenantId} already has ${subject.record} from a different package; nothing was stored. A stored closeout's evidence cannot be replaced; import a package with new ids, or use another tenant.`,
      [{ path: subject.path, message: `${subject.record} exists` }],
    );
  }
}
