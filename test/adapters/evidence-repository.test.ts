import { readFile } from 'node:fs/promises';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsClients } from '../../lib/adapters/aws-clients.ts';
import {
  EvidenceRepository,
  ImportConflictError,
} from '../../lib/adapters/evidence-repository.ts';
import { EvidencePackageSchema } from '../../lib/domain/evidence-package.ts';
import { mapEvidencePackage } from '../../lib/domain/import-package.ts';
import type {
  ExecutionRecord,
  HealthReport,
  WorkerRun,
} from '../../lib/domain/model.ts';
import { provisionResources } from '../../lib/local/provision.ts';
import { defineService } from '../../lib/resources.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

const PACKAGE_PATH = 'examples/cavra-sample-evidence-package.json';

let repository: EvidenceRepository;
let tableName: string;
let packageText: string;

function importedFor(tenantId: string, text = packageText) {
  const parsed = EvidencePackageSchema.parse(JSON.parse(text));
  return mapEvidencePackage(
    tenantId,
    parsed,
    text,
    new Date('2026-06-01T00:00:00Z'),
  );
}

async function itemsOf(tenantId: string) {
  const { Items = [] } = await awsClients().documents.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
    }),
  );
  return Items;
}

function workerRun(tenantId: string, size: number): WorkerRun {
  return {
    tenantId,
    runId: `wr-${tenantId}`,
    planId: 'rp-test',
    mode: 'dry_run',
    state: 'started',
    source: 'service',
    startedAt: '2026-06-01T00:00:00.000Z',
    deliveryIds: Array.from({ length: size }, (_, index) => `d-${index}`),
    processedCount: 0,
  };
}

function execution(run: WorkerRun, deliveryId: string): ExecutionRecord {
  return {
    tenantId: run.tenantId,
    runId: run.runId,
    deliveryId,
    mode: run.mode,
    attempt: 2,
    outcome: 'would_retry',
    recordedAt: '2026-06-01T00:01:00.000Z',
    idempotencyKey: `${deliveryId}:2`,
  };
}

beforeAll(async () => {
  const definition = defineService(randomStage());
  await provisionResources(awsClients(), definition);
  tableName = definition.tableName;
  repository = new EvidenceRepository(awsClients().documents, tableName);
  packageText = await readFile(PACKAGE_PATH, 'utf8');
});

describe('EvidenceRepository', () => {
  it('imports a package once and then reports it unchanged', async () => {
    const tenantId = randomTenant();

    const first = await repository.importEvidence(
      importedFor(tenantId),
      packageText,
    );
    const countAfterFirst = (await itemsOf(tenantId)).length;
    const second = await repository.importEvidence(
      importedFor(tenantId),
      packageText,
    );

    expect(first).toBe('imported');
    expect(second).toBe('unchanged');
    expect((await itemsOf(tenantId)).length).toBe(countAfterFirst);
  });

  it('stores every record of the package', async () => {
    const tenantId = randomTenant();

    await repository.importEvidence(importedFor(tenantId), packageText);
    const evidence = await repository.loadTenantEvidence(tenantId);

    expect(evidence.closeouts.map((item) => item.closeoutId)).toEqual([
      'closeout-demo-001',
    ]);
    expect(evidence.deliveries.map((item) => item.deliveryId)).toEqual([
      'connector-delivery-demo-001',
    ]);
    expect(evidence.retryPlans.map((item) => item.planId)).toEqual([
      'closeout-retry-plan-demo-001',
    ]);
    expect(evidence.workerRuns.map((item) => item.runId)).toEqual([
      'closeout-retry-worker-demo-001',
    ]);
  });

  it('rejects a different package for a stored closeout and writes nothing', async () => {
    const tenantId = randomTenant();
    await repository.importEvidence(importedFor(tenantId), packageText);
    const before = await itemsOf(tenantId);
    const changedText = packageText.replace(
      '"blocker_count": 0',
      '"blocker_count": 2',
    );

    const attempt = repository.importEvidence(
      importedFor(tenantId, changedText),
      changedText,
    );

    await expect(attempt).rejects.toBeInstanceOf(ImportConflictError);
    expect(await itemsOf(tenantId)).toHaveLength(before.length);
  });

  it('lists imported tenants through the registry index', async () => {
    const tenantId = randomTenant();

    await repository.importEvidence(importedFor(tenantId), packageText);
    const tenants = await repository.listTenants();

    const entry = tenants.find((item) => item.tenantId === tenantId);
    expect(entry?.alertRoutes).toEqual(['demo-non-production-webhook']);
  });

  it('counts an execution record once however often it is written', async () => {
    const tenantId = randomTenant();
    const run = workerRun(tenantId, 2);
    await repository.putWorkerRun(run);

    const first = await repository.recordExecution(execution(run, 'd-0'), 2);
    const repeat = await repository.recordExecution(execution(run, 'd-0'), 2);
    const stored = await repository.getWorkerRun(tenantId, run.runId);

    expect(first).toBe(true);
    expect(repeat).toBe(false);
    expect(stored?.processedCount).toBe(1);
    expect(stored?.state).toBe('started');
  });

  it('completes a worker run with its last execution record', async () => {
    const tenantId = randomTenant();
    const run = workerRun(tenantId, 2);
    await repository.putWorkerRun(run);

    await repository.recordExecution(execution(run, 'd-0'), 2);
    await repository.recordExecution(execution(run, 'd-1'), 2);
    const stored = await repository.getWorkerRun(tenantId, run.runId);

    expect(stored?.state).toBe('completed');
    expect(stored?.processedCount).toBe(2);
  });

  it('returns the stored worker run when the same run starts again', async () => {
    const tenantId = randomTenant();
    const run = workerRun(tenantId, 1);

    const first = await repository.putWorkerRun(run);
    const again = await repository.putWorkerRun({
      ...run,
      startedAt: '2030-01-01T00:00:00.000Z',
    });

    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.run.startedAt).toBe(run.startedAt);
  });

  it('rejects a delivery update from a stale version', async () => {
    const tenantId = randomTenant();
    await repository.importEvidence(importedFor(tenantId), packageText);
    const loaded = await repository.getDelivery(
      tenantId,
      'connector-delivery-demo-001',
    );
    if (!loaded) {
      throw new Error('the imported delivery is missing');
    }
    const delivered = { ...loaded.delivery, state: 'delivered' as const };

    const first = await repository.updateDelivery(delivered, loaded.version);
    const stale = await repository.updateDelivery(delivered, loaded.version);

    expect(first).toBe(true);
    expect(stale).toBe(false);
  });

  it('keeps delivered alert evidence final', async () => {
    const tenantId = randomTenant();
    const base = {
      tenantId,
      alertPlanId: 'ap-test',
      route: 'demo-non-production-webhook',
      request: { method: 'POST', url: 'http://127.0.0.1/hooks', headers: {} },
      recordedAt: '2026-06-01T00:00:00.000Z',
    };

    const failed = await repository.putAlertDeliveryEvidence({
      ...base,
      state: 'failed',
    });
    const delivered = await repository.putAlertDeliveryEvidence({
      ...base,
      state: 'delivered',
    });
    const overwrite = await repository.putAlertDeliveryEvidence({
      ...base,
      state: 'failed',
    });
    const stored = await repository.getAlertDeliveryEvidence(
      tenantId,
      'ap-test',
      base.route,
    );

    expect(failed).toBe(true);
    expect(delivered).toBe(true);
    expect(overwrite).toBe(false);
    expect(stored?.state).toBe('delivered');
  });

  it('completes a run whose last record was stored before', async () => {
    const tenantId = randomTenant();
    const run = workerRun(tenantId, 1);
    await repository.putWorkerRun(run);
    const record = execution(run, 'd-0');
    // A worker that stopped after storing the record left the run open.
    await awsClients().documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...record,
          pk: `TENANT#${tenantId}`,
          sk: `EXECUTION#${run.runId}#d-0`,
        },
      }),
    );

    const created = await repository.recordExecution(record, 1);
    const stored = await repository.getWorkerRun(tenantId, run.runId);

    expect(created).toBe(false);
    expect(stored?.state).toBe('completed');
  });

  it('lists a newly imported tenant as at risk', async () => {
    const tenantId = randomTenant();

    await repository.importEvidence(importedFor(tenantId), packageText);

    expect(await repository.listTenantsAtRisk('2026-05-31')).toContain(
      tenantId,
    );
  });

  it('drops an evaluated tenant once its delivery is delivered', async () => {
    const tenantId = randomTenant();
    await repository.importEvidence(importedFor(tenantId), packageText);
    const loaded = await repository.getDelivery(
      tenantId,
      'connector-delivery-demo-001',
    );
    if (!loaded) {
      throw new Error('the imported delivery is missing');
    }

    await repository.markEvaluated(tenantId, new Date());
    const stillFailed = await repository.listTenantsAtRisk('2026-05-31');
    await repository.updateDelivery(
      { ...loaded.delivery, state: 'delivered' },
      loaded.version,
    );
    const delivered = await repository.listTenantsAtRisk('2026-05-31');

    expect(stillFailed).toContain(tenantId);
    expect(delivered).not.toContain(tenantId);
  });

  it('lists a tenant once the horizon reaches its retention end', async () => {
    const tenantId = randomTenant();
    const text = packageText.replace(
      '"retention_until": "2027-05-31"',
      '"retention_until": "2026-07-10"',
    );
    const imported = importedFor(tenantId, text);
    imported.deliveries = [];
    await repository.importEvidence(imported, text);
    await repository.markEvaluated(tenantId, new Date());

    const dayBefore = await repository.listTenantsAtRisk('2026-07-09');
    const sameDay = await repository.listTenantsAtRisk('2026-07-10');

    expect(dayBefore).not.toContain(tenantId);
    expect(sameDay).toContain(tenantId);
  });

  it('keeps a tenant at risk until a report finds it healthy', async () => {
    const tenantId = randomTenant();
    const report = (
      healthState: HealthReport['healthState'],
    ): HealthReport => ({
      tenantId,
      reportId: `hr-${healthState}-${tenantId}`,
      asOf: '2026-06-01T00:00:00.000Z',
      zone: 'UTC',
      today: '2026-06-01',
      healthState,
      findings: [],
      releaseDecisions: [],
      evidenceDigest: healthState,
      evaluatedAt: '2026-06-01T00:00:01.000Z',
    });

    await repository.putReport(report('warning'));
    const afterWarning = await repository.listTenantsAtRisk('2026-06-01');
    await repository.putReport(report('healthy'));
    const afterHealthy = await repository.listTenantsAtRisk('2026-06-01');

    expect(afterWarning).toContain(tenantId);
    expect(afterHealthy).not.toContain(tenantId);
  });

  it('keeps evidence imported after the evaluation loaded its input', async () => {
    const tenantId = randomTenant();
    await repository.importEvidence(importedFor(tenantId), packageText);
    const loaded = await repository.getDelivery(
      tenantId,
      'connector-delivery-demo-001',
    );
    if (!loaded) {
      throw new Error('the imported delivery is missing');
    }
    await repository.updateDelivery(
      { ...loaded.delivery, state: 'delivered' },
      loaded.version,
    );

    await repository.markEvaluated(tenantId, new Date('2026-05-31T23:59:59Z'));

    expect(await repository.listTenantsAtRisk('2026-06-01')).toContain(
      tenantId,
    );
  });
});
