import { readFile } from 'node:fs/promises';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../lib/local/local-runtime.ts';
import { randomStage, randomTenant } from '../support/stage.ts';

let runtime: LocalRuntime;
let packageText: string;

async function itemCount(tenantId: string): Promise<number> {
  const { Count = 0 } = await runtime.clients.documents.send(
    new QueryCommand({
      TableName: runtime.resources.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
      Select: 'COUNT',
    }),
  );
  return Count;
}

async function importedTenant(): Promise<string> {
  const tenantId = randomTenant();
  const imported = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/packages`,
    packageText,
  );
  expect(imported.statusCode).toBe(201);
  return tenantId;
}

beforeAll(async () => {
  runtime = await startLocalRuntime({ stage: randomStage('h') });
  packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
});

afterAll(async () => {
  await runtime?.stop();
});

describe('POST /tenants/{tenantId}/packages', () => {
  it('returns 201 with the stored ids', async () => {
    const tenantId = randomTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      packageText,
    );

    expect(response.statusCode).toBe(201);
    expect(response.body.closeoutId).toBe('closeout-demo-001');
    expect(response.body.deliveryIds).toEqual(['connector-delivery-demo-001']);
  });

  it('returns 200 unchanged for the same file again', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      packageText,
    );

    expect(response.statusCode).toBe(200);
    expect(response.body.status).toBe('unchanged');
  });

  it('returns 422 naming each invalid field and stores nothing', async () => {
    const tenantId = randomTenant();
    const invalid = JSON.parse(packageText);
    invalid.retention_review.retention_until = '2027-02-30';
    invalid.release_closeout_summary.closeout_state = 'finished';

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      invalid,
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.issues).toEqual(
      expect.arrayContaining([
        {
          path: '$.retention_review.retention_until',
          message: 'expected a calendar date YYYY-MM-DD, received "2027-02-30"',
        },
        {
          path: '$.release_closeout_summary.closeout_state',
          message: 'expected one of open, closed, received "finished"',
        },
      ]),
    );
    expect(await itemCount(tenantId)).toBe(0);
  });

  it('returns 422 for a body that is not JSON', async () => {
    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${randomTenant()}/packages`,
      '{"schema_version":',
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.message).toMatch(/not valid JSON/);
  });

  it('returns 422 for an invalid tenant id', async () => {
    const response = await runtime.invokeApi(
      'POST',
      '/tenants/Not_A_Tenant/packages',
      packageText,
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.message).toMatch(/Invalid tenant id "Not_A_Tenant"/);
  });
});

describe('GET /tenants/{tenantId}/health-reports/latest', () => {
  it('returns 404 before any evaluation', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'GET',
      `/tenants/${tenantId}/health-reports/latest`,
    );

    expect(response.statusCode).toBe(404);
    expect(response.body.message).toMatch(/no health report yet/);
  });
});

describe('POST /tenants/{tenantId}/retry-plans', () => {
  it('returns the stored plan when the same failures are planned again', async () => {
    const tenantId = await importedTenant();

    const first = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );
    const again = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );

    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.body.planId).toBe(first.body.planId);
  });

  it('returns 422 for an unknown field', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      { ownr: 'x' },
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.issues[0].path).toBe('$');
  });

  it('returns 404 for a tenant without evidence', async () => {
    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${randomTenant()}/retry-plans`,
      {},
    );

    expect(response.statusCode).toBe(404);
  });
});

describe('POST /tenants/{tenantId}/worker-runs', () => {
  it('rejects a live run without a completed dry run', async () => {
    const tenantId = await importedTenant();
    const plan = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/worker-runs`,
      {
        planId: plan.body.planId,
        mode: 'live',
      },
    );

    expect(response.statusCode).toBe(409);
    expect(response.body.message).toMatch(/no completed dry run/);
  });

  it('starts a dry run by default', async () => {
    const tenantId = await importedTenant();
    const plan = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/worker-runs`,
      {
        planId: plan.body.planId,
      },
    );
    await runtime.drainRetries();

    expect(response.statusCode).toBe(202);
    expect(response.body.mode).toBe('dry_run');
    expect(response.body.queued).toBe(1);
  });

  it('returns 404 for an unknown plan', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/worker-runs`,
      {
        planId: 'rp-unknown',
      },
    );

    expect(response.statusCode).toBe(404);
    expect(response.body.issues[0].path).toBe('$.planId');
  });
});

describe('unknown routes', () => {
  it('returns 404 naming the route', async () => {
    const response = await runtime.invokeApi('DELETE', '/tenants/acme');

    expect(response.statusCode).toBe(404);
  });
});

describe('import conflicts and limits', () => {
  it('names the clashing delivery of another closeout', async () => {
    const tenantId = await importedTenant();
    const other = JSON.parse(packageText);
    other.release_closeout_summary.closeout_id = 'closeout-demo-002';

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      other,
    );

    expect(response.statusCode).toBe(409);
    expect(response.body.message).toContain(
      'delivery connector-delivery-demo-001',
    );
    expect(await itemCount(tenantId)).toBeGreaterThan(0);
  });

  it('returns 422 for more than 50 failed deliveries', async () => {
    const tenantId = randomTenant();
    const many = JSON.parse(packageText);
    delete many.closeout_retry_plan;
    many.release_closeout_summary.delivery_state = 'failed';
    many.release_closeout_summary.public_evidence_refs = Array.from(
      { length: 51 },
      (_, index) => `delivery-${index}`,
    );

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      many,
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.issues[0].path).toBe(
      '$.release_closeout_summary.public_evidence_refs',
    );
    expect(await itemCount(tenantId)).toBe(0);
  });

  it('stores a repeated delivery reference once', async () => {
    const tenantId = randomTenant();
    const repeated = JSON.parse(packageText);
    delete repeated.closeout_retry_plan;
    repeated.release_closeout_summary.delivery_state = 'failed';
    repeated.release_closeout_summary.public_evidence_refs = [
      'delivery-x',
      'delivery-x',
    ];

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      repeated,
    );

    expect(response.statusCode).toBe(201);
    expect(response.body.deliveryIds).toEqual(['delivery-x']);
  });

  it('returns 422 for a bundle of more than 200 files', async () => {
    const tenantId = randomTenant();
    const large = JSON.parse(packageText);
    large.closeout_artifact_bundle.files = Array.from(
      { length: 201 },
      (_, index) => ({ name: `file-${index}` }),
    );

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      large,
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.issues[0].path).toBe(
      '$.closeout_artifact_bundle.files',
    );
  });
});

describe('retry plan requests', () => {
  it('returns 422 for a target date in the past', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {
        asOf: '2026-06-01T00:00:00Z',
        targetResolutionDate: '2026-05-01',
      },
    );

    expect(response.statusCode).toBe(422);
    expect(response.body.issues[0].path).toBe('$.targetResolutionDate');
  });

  it('makes a new plan for another owner', async () => {
    const tenantId = await importedTenant();

    const first = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );
    const second = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      { owner: 'alice' },
    );

    expect(second.statusCode).toBe(201);
    expect(second.body.planId).not.toBe(first.body.planId);
    expect(second.body.decisions[0].owner).toBe('alice');
  });

  it('rejects a live run of the imported plan', async () => {
    const tenantId = await importedTenant();

    const response = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/worker-runs`,
      {
        planId: 'closeout-retry-plan-demo-001',
        mode: 'live',
      },
    );

    expect(response.statusCode).toBe(409);
  });
});
