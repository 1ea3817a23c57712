/**
 * The local runtime: a local AWS endpoint with the stage's resources, a
 * webhook receiver for the connectors, and the Lambda handlers played with
 * real event shapes: the schedule, the two SQS event source mappings and the
 * HTTP API.
 *
 * The handlers read their settings when they are first imported, so one
 * process runs one local runtime.
 */
import type {
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type AwsClients, awsClients } from '../adapters/aws-clients.ts';
import { API_ROUTE_KEYS } from '../api/route-keys.ts';
import { defineService, type ServiceDefinition } from '../resources.ts';
import { type LocalEndpoint, startLocalEndpoint } from './emulator.ts';
import {
  httpApiEvent,
  lambdaContext,
  scheduledEvent,
} from './lambda-events.ts';
import { type ProvisionedResources, provisionResources } from './provision.ts';
import {
  type DrainOptions,
  type DrainResult,
  drainQueue,
} from './queue-poller.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from './webhook-receiver.ts';

export interface LocalRuntimeOptions {
  /** Resource name prefix; tests use a random one. */
  stage?: string;
  /** IANA zone of the evaluation. */
  zone?: string;
  /** Connector routes served by the local receiver. */
  routes?: string[];
  /** Connector settings by route that replace the local receiver's. */
  connectors?: Record<string, unknown>;
  /** Powertools log level of the handlers; `SILENT` keeps stdout clean. */
  logLevel?: string;
  receiver?: WebhookReceiver;
}

export interface ApiResult {
  statusCode: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several routes.
  body: any;
}

/** Poller settings that a caller may change for one drain. */
export type DrainSettings = Partial<
  Pick<
    DrainOptions,
    'settleMs' | 'visibilityTimeoutSeconds' | 'releaseFailed' | 'maxBatches'
  >
>;

export interface LocalRuntime {
  endpoint: LocalEndpoint;
  /** The function handlers, as CDK bundles them. */
  handlers: {
    evaluateHealth: typeof import('../../functions/evaluate-health.ts').handler;
    deliverAlert: typeof import('../../functions/deliver-alert.ts').handler;
    retryDelivery: typeof import('../../functions/retry-delivery.ts').handler;
    recordDeadLetter: typeof import('../../functions/record-dead-letter.ts').handler;
    httpApi: typeof import('../../functions/http-api.ts').handler;
  };
  definition: ServiceDefinition;
  resources: ProvisionedResources;
  clients: AwsClients;
  receiver: WebhookReceiver;
  /** Calls the HTTP API function as API Gateway would. */
  invokeApi(method: string, path: string, body?: unknown): Promise<ApiResult>;
  /** Fires the evaluation schedule as of `time`. */
  runSchedule(time: Date): Promise<unknown>;
  /** Delivers the alert queue to the alert function until it is empty. */
  drainAlerts(options?: DrainSettings): Promise<DrainResult>;
  /** Delivers the retry queue to the retry worker until it is empty. */
  drainRetries(options?: DrainSettings): Promise<DrainResult>;
  /** Delivers the retry dead-letter queue to its consumer until it is empty. */
  drainDeadLetters(options?: DrainSettings): Promise<DrainResult>;
  stop(): Promise<void>;
}

function setDefault(name: string, value: string) {
  if (!process.env[name]) {
    process.env[name] = value;
  }
}

function connectorsFor(routes: string[], receiver: WebhookReceiver) {
  return Object.fromEntries(
    routes.map((route) => [
      route,
      { type: 'webhook', url: `${receiver.url}/hooks/${route}` },
    ]),
  );
}

/** Starts the local runtime; call `stop` when done. */
export async function startLocalRuntime(
  options: LocalRuntimeOptions = {},
): Promise<LocalRuntime> {
  const endpoint = await startLocalEndpoint();
  try {
    return await buildRuntime(endpoint, options);
  } catch (error) {
    await endpoint.stop();
    throw error;
  }
}

async function buildRuntime(
  endpoint: LocalEndpoint,
  options: LocalRuntimeOptions,
): Promise<LocalRuntime> {
  process.env.AWS_ENDPOINT_URL = endpoint.url;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  setDefault('AWS_REGION', 'us-east-1');
  setDefault('AWS_ACCESS_KEY_ID', 'test');
  setDefault('AWS_SECRET_ACCESS_KEY', 'test');
  setDefault('POWERTOOLS_METRICS_DISABLED', 'true');
  process.env.POWERTOOLS_LOG_LEVEL = options.logLevel ?? 'SILENT';

  const definition = defineService(options.stage ?? 'local');
  const clients = awsClients();
  const resources = await provisionResources(clients, definition);
  const receiver = options.receiver ?? (await startWebhookReceiver());
  const routes = options.routes ?? ['demo-non-production-webhook'];
  Object.assign(process.env, {
    TABLE_NAME: resources.tableName,
    ALERT_TOPIC_ARN: resources.alertTopicArn,
    RETRY_QUEUE_URL: resources.retryQueue.url,
    EVALUATION_ZONE: options.zone ?? 'UTC',
    CONNECTORS: JSON.stringify({
      ...connectorsFor(routes, receiver),
      ...options.connectors,
    }),
  });

  const [evaluate, deliver, retry, deadLetter, api] = await Promise.all([
    import('../../functions/evaluate-health.ts'),
    import('../../functions/deliver-alert.ts'),
    import('../../functions/retry-delivery.ts'),
    import('../../functions/record-dead-letter.ts'),
    import('../../functions/http-api.ts'),
  ]);
  const { functions } = definition;
  const context = (name: keyof typeof functions) => () =>
    lambdaContext(
      `${definition.tableName}-${name}`,
      functions[name].timeoutSeconds,
    );

  return {
    endpoint,
    handlers: {
      evaluateHealth: evaluate.handler,
      deliverAlert: deliver.handler,
      retryDelivery: retry.handler,
      recordDeadLetter: deadLetter.handler,
      httpApi: api.handler,
    },
    definition,
    resources,
    clients,
    receiver,
    async invokeApi(method, path, body) {
      const text =
        body === undefined || typeof body === 'string'
          ? body
          : JSON.stringify(body);
      const event = httpApiEvent([...API_ROUTE_KEYS], method, path, text);
      const response: APIGatewayProxyResultV2 = await api.handler(
        event,
        context('httpApi')(),
      );
      const structured = response as APIGatewayProxyStructuredResultV2;
      return {
        statusCode: structured.statusCode ?? 200,
        body: structured.body ? JSON.parse(structured.body) : undefined,
      };
    },
    runSchedule: (time) =>
      evaluate.handler(
        scheduledEvent(time, `${definition.tableName}-schedule`),
        context('evaluateHealth')(),
      ),
    drainAlerts: (settings) =>
      drainQueue({
        ...settings,
        sqs: clients.sqs,
        queue: resources.alertDeliveryQueue,
        definition: definition.alertDeliveryQueue,
        consumer: definition.queueConsumer,
        handler: deliver.handler,
        context: context('deliverAlert'),
      }),
    drainRetries: (settings) =>
      drainQueue({
        ...settings,
        sqs: clients.sqs,
        queue: resources.retryQueue,
        definition: definition.retryQueue,
        consumer: definition.queueConsumer,
        handler: retry.handler,
        context: context('retryDelivery'),
      }),
    drainDeadLetters: (settings) => {
      const { retryQueue } = resources;
      return drainQueue({
        ...settings,
        sqs: clients.sqs,
        queue: {
          url: retryQueue.deadLetterUrl,
          arn: retryQueue.deadLetterArn,
          deadLetterUrl: retryQueue.deadLetterUrl,
          deadLetterArn: retryQueue.deadLetterArn,
        },
        definition: {
          ...definition.retryQueue,
          visibilityTimeoutSeconds:
            definition.retryQueue.deadLetterVisibilityTimeoutSeconds,
        },
        consumer: definition.queueConsumer,
        handler: deadLetter.handler,
        context: context('recordDeadLetter'),
      });
    },
    async stop() {
      if (!options.receiver) {
        await receiver.close();
      }
      await endpoint.stop();
    },
  };
}
