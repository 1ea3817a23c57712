/**
 * The CDK stack deployed to a local AWS endpoint and driven from outside.
 * The real evidence package goes in through the HTTP API with a JWT, and
 * the EventBridge schedule evaluates it. The alert reaches the webhook
 * receiver through SNS and SQS, and a dry and a live worker run redeliver
 * the failed closeout delivery. The steps run in order on one deployment.
 */
import { readFile } from 'node:fs/promises';
import {
  DescribeAlarmsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
} from 'vitest';

import type { WorkerRun } from '#lib/domain/model.ts';
import type { ReceivedRequest } from '#lib/local/webhook-receiver.ts';
import { TABLE_KEYS } from '#lib/resources.ts';
import { randomTenant } from '../support/stage.ts';
import { Cleanup } from './support/cleanup.ts';
import type { ApiResponse } from './support/deployed-api.ts';
import {
  CONNECTOR_ROUTE,
  CONNECTOR_TOKEN,
  deployLocally,
  type LocalDeployment,
} from './support/local-deployment.ts';
import { subscribeOperationsQueue } from './support/operations-queue.ts';
import { progress, waitFor } from './support/progress.ts';

const PACKAGE_PATH = 'examples/cavra-sample-evidence-package.json';
const FAILED_DELIVERY = 'connector-delivery-demo-001';
/**
 * The schedule fires every minute, and MiniStack 1.5.33 sends its first
 * event about 66 s after the rule is created.
 */
const SCHEDULE_WAIT_MS = 150_000;
const WORKER_WAIT_MS = 60_000;
const ALERT_SCHEMA = 'closeout-health.alert.v1';
const CLOSEOUT_SCHEMA = 'closeout-health.closeout-evidence.v1';

const cleanup = new Cleanup();
const tenantId = randomTenant();
let deployment: LocalDeployment;
let failed = false;

/** Sends an authorized request to the deployed API. */
async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const token = await deployment.issuer.signToken();
  return deployment.api.request(method, `/tenants/${tenantId}${path}`, {
    token,
    body,
  });
}

function bodyOf(request: ReceivedRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};
}

function receivedWith(schema: string): ReceivedRequest[] {
  return deployment.receiver.requests.filter(
    (request) =>
      bodyOf(request).schema === schema &&
      bodyOf(request).tenantId === tenantId,
  );
}

/** Reads the stack's alarms that watch a dead-letter queue, by queue name. */
async function deadLetterAlarms() {
  const { MetricAlarms = [] } = await deployment.clients.cloudWatch.send(
    new DescribeAlarmsCommand({ AlarmNamePrefix: `${deployment.stackName}-` }),
  );
  const byQueue = new Map<string, (typeof MetricAlarms)[number]>();
  for (const alarm of MetricAlarms) {
    const queue = alarm.Dimensions?.find((item) => item.Name === 'QueueName');
    if (alarm.AlarmName?.endsWith('-dead-letters') && queue?.Value) {
      byQueue.set(queue.Value, alarm);
    }
  }
  return byQueue;
}

/**
 * Starts a worker run of the retry plan and polls it until it is completed.
 * A run that the API does not accept fails the test at once.
 */
async function completedRun(planId: string, mode: WorkerRun['mode']) {
  const started = await call('POST', '/worker-runs', { planId, mode });
  expect(started.status, JSON.stringify(started.body)).toBe(202);

  const runId: string = started.body.runId;
  return waitFor(
    `${mode} worker run ${runId} to complete`,
    async () => {
      const response = await call('GET', `/worker-runs/${runId}`);
      return response.status === 200 && response.body.state === 'completed'
        ? response.body
        : undefined;
    },
    { timeoutMs: WORKER_WAIT_MS, intervalMs: 1000 },
  );
}

beforeAll(async () => {
  try {
    deployment = await deployLocally(cleanup);
    progress(`API at ${deployment.api.baseUrl}, tenant ${tenantId}`);
  } catch (error) {
    failed = true;
    throw error;
  }
}, 300_000);

// Each step builds on the ones before, so after a failure the remaining
// steps are skipped instead of waiting for their time-outs.
beforeEach((context) => {
  if (failed) {
    context.skip();
  }
});

afterEach((context) => {
  if (context.task.result?.state === 'fail') {
    failed = true;
  }
});

afterAll(async () => {
  await cleanup.runAll({ failed });
}, 120_000);

describe('deployed stack on a local endpoint', () => {
  let retryPlanId: string;

  it('enables TTL on the evidence table', async () => {
    const { TimeToLiveDescription } = await deployment.clients.dynamodb.send(
      new DescribeTimeToLiveCommand({
        TableName: deployment.service.tableName,
      }),
    );

    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    expect(TimeToLiveDescription?.AttributeName).toBe(TABLE_KEYS.timeToLive);
  });

  it('rejects a request without a token with 401', async () => {
    const response = await deployment.api.request(
      'GET',
      `/tenants/${tenantId}/health-reports/latest`,
    );

    expect(response.status).toBe(401);
  });

  it('rejects a token signed by an unknown key with 401', async () => {
    const token = await deployment.issuer.signForgedToken();

    const response = await deployment.api.request(
      'GET',
      `/tenants/${tenantId}/health-reports/latest`,
      { token },
    );

    expect(response.status).toBe(401);
  });

  it('imports the evidence package', async () => {
    const packageText = await readFile(PACKAGE_PATH, 'utf8');

    const response = await call('POST', '/packages', packageText);

    expect(response.status).toBe(201);
    expect(response.body.status).toBe('imported');
    expect(deployment.issuer.jwksRequests()).toBeGreaterThan(0);
  });

  it('alarms on each dead-letter queue', async () => {
    const { service, outputs } = deployment;
    const alarms = await deadLetterAlarms();

    expect([...alarms.keys()].sort()).toEqual(
      [
        service.alertDeliveryQueue.deadLetterQueueName,
        service.retryQueue.deadLetterQueueName,
        service.scheduleDeadLetterQueueName,
      ].sort(),
    );
    for (const alarm of alarms.values()) {
      expect(alarm.Namespace).toBe('AWS/SQS');
      expect(alarm.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm.Threshold).toBe(0);
      expect(alarm.AlarmActions).toEqual([outputs.OperationsTopicArn]);
    }
  });

  it('notifies operators of dead letters', async () => {
    const deadLetterQueue = deployment.service.retryQueue.deadLetterQueueName;
    const operations = await subscribeOperationsQueue(
      deployment.endpoint,
      deployment.outputs.OperationsTopicArn ?? '',
      `${deployment.stackName}-e2e-operations`,
      cleanup,
    );

    // NOTE: MiniStack 1.5.33 publishes no AWS/SQS metrics, so a real dead
    // letter would leave the alarm in INSUFFICIENT_DATA. The test puts the
    // queue depth that SQS would report and checks the rest of the path.
    await deployment.clients.cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SQS',
        MetricData: [
          {
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: deadLetterQueue }],
            Value: 1,
            Unit: 'Count',
            Timestamp: new Date(),
          },
        ],
      }),
    );
    const alarm = await waitFor(
      `the alarm on ${deadLetterQueue}`,
      async () => {
        const current = (await deadLetterAlarms()).get(deadLetterQueue);
        return current?.StateValue === 'ALARM' ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    const notifications = await operations.receive(10);

    expect(alarm.StateValue).toBe('ALARM');
    expect(notifications.join('\n')).toContain(alarm.AlarmName);
  });

  it('evaluates on the schedule with a failed delivery warning', async () => {
    const report = await waitFor(
      'the scheduled evaluation of the tenant',
      async () => {
        const response = await call('GET', '/health-reports/latest');
        return response.status === 200 ? response.body : undefined;
      },
      { timeoutMs: SCHEDULE_WAIT_MS, intervalMs: 3000 },
    );

    expect(report.healthState).toBe('warning');
    expect(
      report.findings.map((finding: Record<string, string>) => [
        finding.category,
        finding.subjectId,
      ]),
    ).toEqual([['closeout_delivery_failed', FAILED_DELIVERY]]);
  });

  it('delivers the alert to the connector route', async () => {
    const [alert] = await waitFor(
      'the alert at the webhook receiver',
      async () => {
        const alerts = receivedWith(ALERT_SCHEMA);
        return alerts.length > 0 ? alerts : undefined;
      },
      { timeoutMs: WORKER_WAIT_MS, intervalMs: 1000 },
    );

    expect(alert?.path).toBe(`/hooks/${CONNECTOR_ROUTE}`);
    expect(bodyOf(alert as ReceivedRequest).healthState).toBe('warning');
    expect(alert?.headers.authorization).toBe(`Bearer ${CONNECTOR_TOKEN}`);
  });

  it('plans a retry of the failed delivery', async () => {
    const response = await call('POST', '/retry-plans', {});

    expect(response.status).toBe(201);
    expect(response.body.decisions).toEqual([
      expect.objectContaining({
        deliveryId: FAILED_DELIVERY,
        decision: 'retry',
      }),
    ]);
    retryPlanId = response.body.planId;
  });

  it('runs the worker as a dry run without sending', async () => {
    expect(retryPlanId).toBeDefined();

    const run = await completedRun(retryPlanId, 'dry_run');

    expect(
      run.executions.map((item: Record<string, string>) => item.outcome),
    ).toEqual(['would_retry']);
    expect(receivedWith(CLOSEOUT_SCHEMA)).toEqual([]);
  });

  it('runs the worker live and redelivers once', async () => {
    expect(retryPlanId).toBeDefined();

    const run = await completedRun(retryPlanId, 'live');
    const [execution] = run.executions;
    const deliveries = receivedWith(CLOSEOUT_SCHEMA);

    expect(execution.outcome).toBe('delivered');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.path).toBe(`/hooks/${CONNECTOR_ROUTE}`);
    expect(deliveries[0]?.headers['idempotency-key']).toBe(
      execution.idempotencyKey,
    );
    expect(bodyOf(deliveries[0] as ReceivedRequest).deliveryId).toBe(
      FAILED_DELIVERY,
    );
  });

  it('reports the tenant healthy on the next evaluation', async () => {
    const report = await waitFor(
      'a healthy scheduled evaluation',
      async () => {
        const response = await call('GET', '/health-reports/latest');
        return response.body?.healthState === 'healthy'
          ? response.body
          : undefined;
      },
      { timeoutMs: SCHEDULE_WAIT_MS, intervalMs: 3000 },
    );
    const resolved = await waitFor(
      'the resolved notice at the webhook receiver',
      async () =>
        receivedWith(ALERT_SCHEMA).find(
          (request) => bodyOf(request).kind === 'resolved',
        ),
      { timeoutMs: WORKER_WAIT_MS, intervalMs: 1000 },
    );

    expect(report.findings).toEqual([]);
    expect(bodyOf(resolved).healthState).toBe('healthy');
  });

  it('destroys the stack and keeps the evidence table', async () => {
    progress('cdk destroy');
    await deployment.destroyStack();

    const { Table } = await deployment.clients.dynamodb.send(
      new DescribeTableCommand({ TableName: deployment.service.tableName }),
    );

    expect(Table?.TableStatus).toBe('ACTIVE');
  });
});
