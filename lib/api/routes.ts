/**
 * Routes of the HTTP API. The stack declares exactly these route keys, and
 * the API function dispatches on the `routeKey` that API Gateway sends.
 */
import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import type { RetryQueue } from '../adapters/retry-queue.ts';
import type { ServiceConfig } from '../config.ts';
import { DEFAULT_RETRY_POLICY } from '../domain/retry.ts';
import { NotFoundError } from '../errors.ts';
import { assertTenantId, importPackage } from '../operations/import-package.ts';
import {
  createRetryPlan,
  redriveDeadLetters,
  startWorkerRun,
} from '../operations/retry-plans.ts';
import { parseJson } from '../validation.ts';
import type { ApiRouteKey } from './route-keys.ts';

/** A request as the routes see it: path parameters and the body text. */
export interface ApiRequest {
  pathParameters: Record<string, string | undefined>;
  body: string | undefined;
}

export interface ApiResponse {
  statusCode: number;
  body: unknown;
}

export interface ApiDependencies {
  repository: EvidenceRepository;
  retryQueue: RetryQueue | undefined;
  config: ServiceConfig;
  now: () => Date;
}

type RouteHandler = (
  request: ApiRequest,
  dependencies: ApiDependencies,
) => Promise<ApiResponse>;

function tenantOf(request: ApiRequest): string {
  const tenantId = request.pathParameters.tenantId ?? '';
  assertTenantId(tenantId);
  return tenantId;
}

function retryQueueOf(dependencies: ApiDependencies): RetryQueue {
  if (!dependencies.retryQueue) {
    throw new Error('RETRY_QUEUE_URL is not set for the API function');
  }
  return dependencies.retryQueue;
}

function jsonBody(request: ApiRequest): unknown {
  if (!request.body) {
    return undefined;
  }
  return parseJson(request.body, 'request body');
}

export const API_ROUTES: Record<ApiRouteKey, RouteHandler> = {
  'POST /tenants/{tenantId}/packages': async (request, dependencies) => {
    const result = await importPackage(
      dependencies.repository,
      tenantOf(request),
      request.body ?? '',
      dependencies.now(),
    );
    return {
      statusCode: result.status === 'imported' ? 201 : 200,
      body: result,
    };
  },

  'GET /tenants/{tenantId}/health-reports/latest': async (
    request,
    dependencies,
  ) => {
    const tenantId = tenantOf(request);
    const report = await dependencies.repository.getLatestReport(tenantId);
    if (!report) {
      throw new NotFoundError(
        `Tenant ${tenantId} has no health report yet; the scheduled evaluation writes one after a package is imported.`,
      );
    }
    return { statusCode: 200, body: report };
  },

  'POST /tenants/{tenantId}/retry-plans': async (request, dependencies) => {
    const { plan, created } = await createRetryPlan(
      dependencies.repository,
      tenantOf(request),
      jsonBody(request),
      {
        zone: dependencies.config.zone,
        policy: {
          ...DEFAULT_RETRY_POLICY,
          maxAttempts: dependencies.config.maxAttempts,
        },
      },
      dependencies.now(),
    );
    return { statusCode: created ? 201 : 200, body: plan };
  },

  'POST /tenants/{tenantId}/worker-runs': async (request, dependencies) => {
    const { run, created, queued } = await startWorkerRun(
      dependencies.repository,
      retryQueueOf(dependencies),
      tenantOf(request),
      jsonBody(request),
      { maxAttempts: dependencies.config.maxAttempts },
      dependencies.now(),
    );
    return { statusCode: created ? 202 : 200, body: { ...run, queued } };
  },

  'GET /tenants/{tenantId}/worker-runs/{runId}': async (
    request,
    dependencies,
  ) => {
    const tenantId = tenantOf(request);
    const runId = request.pathParameters.runId ?? '';
    const run = await dependencies.repository.getWorkerRun(tenantId, runId);
    if (!run) {
      throw new NotFoundError(
        `Worker run ${runId} of tenant ${tenantId} was not found.`,
      );
    }
    const executions = await dependencies.repository.listExecutions(
      tenantId,
      runId,
    );
    return { statusCode: 200, body: { ...run, executions } };
  },

  'GET /tenants/{tenantId}/dead-letters': async (request, dependencies) => {
    const tenantId = tenantOf(request);
    const deadLetters = await dependencies.repository.listDeadLetters(tenantId);
    return { statusCode: 200, body: { deadLetters } };
  },

  'POST /tenants/{tenantId}/dead-letters/redrive': async (
    request,
    dependencies,
  ) => {
    const { plan, run, queued } = await redriveDeadLetters(
      dependencies.repository,
      retryQueueOf(dependencies),
      tenantOf(request),
      jsonBody(request),
      { maxAttempts: dependencies.config.maxAttempts },
      dependencies.now(),
    );
    return { statusCode: 202, body: { plan, run: { ...run, queued } } };
  },
};
