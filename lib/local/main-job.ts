/**
 * The main job: imports an evidence package into a local deployment, runs
 * the evaluation, the alert delivery and a dry and a live retry, evaluates
 * again and returns what happened at each step.
 */
import { readFile } from 'node:fs/promises';

import {
  type AlertDeliveryEvidence,
  EvidenceRepository,
} from '../adapters/evidence-repository.ts';
import type { AlertPlan } from '../domain/alert-plan.ts';
import type {
  ExecutionRecord,
  HealthReport,
  RetryPlan,
  WorkerRun,
} from '../domain/model.ts';
import { ClientError } from '../errors.ts';
import type { TenantSummary } from '../operations/evaluate-tenant.ts';
import type { ApiResult, LocalRuntime } from './local-runtime.ts';

export interface MainJobOptions {
  packagePath: string;
  tenantId: string;
  asOf: Date;
}

/** One evaluation as the report shows it. */
export interface EvaluationSummary {
  reportId: string;
  asOf: string;
  today: string;
  healthState: HealthReport['healthState'];
  findings: Array<{
    category: string;
    severity: string;
    subjectId: string;
    message: string;
  }>;
  releaseDecision: {
    closeoutId: string;
    state: string;
    reasons: Array<{ code: string; message: string }>;
  };
}

export interface MainJobResult {
  tenantId: string;
  endpoint: string;
  import: { status: string; closeoutId: string; packageDigest: string };
  initial: EvaluationSummary;
  alertPlan:
    | (Pick<
        AlertPlan,
        'alertPlanId' | 'kind' | 'status' | 'routes' | 'dedupKey'
      > & { deliveries: AlertDeliveryEvidence[] })
    | null;
  retryPlan: Pick<RetryPlan, 'planId' | 'contentHash' | 'decisions'> | null;
  workerRuns: Array<
    Pick<WorkerRun, 'runId' | 'mode' | 'state'> & {
      executions: ExecutionRecord[];
    }
  >;
  final: EvaluationSummary;
  resolvedAlertPlan: MainJobResult['alertPlan'];
  receiver: { requests: number; paths: string[] };
}

/**
 * Returns the body of an API result with one of the expected statuses.
 *
 * @throws ClientError with the API's issues for a 4xx, Error otherwise.
 */
function expectStatus(result: ApiResult, step: string, ...expected: number[]) {
  if (expected.includes(result.statusCode)) {
    return result.body;
  }
  const detail = result.body?.message ?? JSON.stringify(result.body);
  const message = `${step} failed with ${result.statusCode}: ${detail}`;
  if (result.statusCode >= 400 && result.statusCode < 500) {
    throw new ClientError(message, result.body?.issues ?? []);
  }
  throw new Error(message);
}

function summarize(
  report: HealthReport,
  closeoutId: string,
): EvaluationSummary {
  const decision = report.releaseDecisions.find(
    (item) => item.closeoutId === closeoutId,
  );
  if (!decision) {
    throw new Error(
      `Report ${report.reportId} has no release decision for ${closeoutId}`,
    );
  }
  return {
    reportId: report.reportId,
    asOf: report.asOf,
    today: report.today,
    healthState: report.healthState,
    findings: report.findings.map(
      ({ category, severity, subjectId, message }) => ({
        category,
        severity,
        subjectId,
        message,
      }),
    ),
    releaseDecision: {
      closeoutId,
      state: decision.state,
      reasons: decision.reasons.map(({ code, message }) => ({ code, message })),
    },
  };
}

async function evaluate(
  runtime: LocalRuntime,
  options: MainJobOptions,
  closeoutId: string,
) {
  const summaries = (await runtime.runSchedule(
    options.asOf,
  )) as TenantSummary[];
  const tenant = summaries.find((item) => item.tenantId === options.tenantId);
  const latest = await runtime.invokeApi(
    'GET',
    `/tenants/${options.tenantId}/health-reports/latest`,
  );
  const report: HealthReport = expectStatus(
    latest,
    'Reading the latest health report',
    200,
  );
  return {
    report,
    alertPlanId: tenant?.alertPlanId,
    summary: summarize(report, closeoutId),
  };
}

async function deliveredAlert(
  runtime: LocalRuntime,
  tenantId: string,
  alertPlanId: string | undefined,
): Promise<MainJobResult['alertPlan']> {
  await runtime.drainAlerts();
  if (!alertPlanId) {
    return null;
  }
  const repository = new EvidenceRepository(
    runtime.clients.documents,
    runtime.resources.tableName,
  );
  const plan = await repository.getAlertPlan(tenantId, alertPlanId);
  if (!plan) {
    throw new Error(`Alert plan ${alertPlanId} was not stored`);
  }
  const deliveries = await repository.listAlertDeliveryEvidence(
    tenantId,
    alertPlanId,
  );
  const { kind, status, routes, dedupKey } = plan;
  return { alertPlanId, kind, status, routes, dedupKey, deliveries };
}

async function runWorker(
  runtime: LocalRuntime,
  tenantId: string,
  planId: string,
  mode: 'dry_run' | 'live',
) {
  const started = await runtime.invokeApi(
    'POST',
    `/tenants/${tenantId}/worker-runs`,
    { planId, mode },
  );
  const run: WorkerRun = expectStatus(
    started,
    `Starting the ${mode} worker run`,
    200,
    202,
  );
  await runtime.drainRetries();
  const read = await runtime.invokeApi(
    'GET',
    `/tenants/${tenantId}/worker-runs/${run.runId}`,
  );
  const stored: WorkerRun & { executions: ExecutionRecord[] } = expectStatus(
    read,
    'Reading the worker run',
    200,
  );
  return {
    runId: stored.runId,
    mode: stored.mode,
    state: stored.state,
    executions: stored.executions,
  };
}

/** Runs the main job on a started local runtime. */
export async function runMainJob(
  runtime: LocalRuntime,
  options: MainJobOptions,
): Promise<MainJobResult> {
  const { tenantId } = options;
  const packageText = await readFile(options.packagePath, 'utf8');
  const imported = expectStatus(
    await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      packageText,
    ),
    'Importing the evidence package',
    200,
    201,
  );
  const closeoutId: string = imported.closeoutId;

  const initial = await evaluate(runtime, options, closeoutId);
  const alertPlan = await deliveredAlert(
    runtime,
    tenantId,
    initial.alertPlanId,
  );

  let retryPlan: MainJobResult['retryPlan'] = null;
  const workerRuns: MainJobResult['workerRuns'] = [];
  const failed = initial.report.findings.some(
    (item) => item.category === 'closeout_delivery_failed',
  );
  if (failed) {
    const planned = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {
        asOf: options.asOf.toISOString(),
      },
    );
    const plan: RetryPlan = expectStatus(
      planned,
      'Creating the retry plan',
      200,
      201,
    );
    retryPlan = {
      planId: plan.planId,
      contentHash: plan.contentHash,
      decisions: plan.decisions,
    };
    workerRuns.push(await runWorker(runtime, tenantId, plan.planId, 'dry_run'));
    workerRuns.push(await runWorker(runtime, tenantId, plan.planId, 'live'));
  }

  const final = await evaluate(runtime, options, closeoutId);
  const resolvedAlertPlan = await deliveredAlert(
    runtime,
    tenantId,
    final.alertPlanId,
  );
  return {
    tenantId,
    endpoint: runtime.endpoint.url,
    import: {
      status: imported.status,
      closeoutId,
      packageDigest: imported.packageDigest,
    },
    initial: initial.summary,
    alertPlan,
    retryPlan,
    workerRuns,
    final: final.summary,
    resolvedAlertPlan,
    receiver: {
      requests: runtime.receiver.requests.length,
      paths: [...new Set(runtime.receiver.requests.map((item) => item.path))],
    },
  };
}
