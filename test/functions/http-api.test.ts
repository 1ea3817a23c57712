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
