/**
 * Lambda events and contexts in the shapes that AWS sends, for calling the
 * function handlers locally.
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  Context,
  ScheduledEvent,
} from 'aws-lambda';

const REGION = () => process.env.AWS_REGION ?? 'us-east-1';
const ACCOUNT = '000000000000';

/** Builds the context that the Lambda runtime passes to a handler. */
export function lambdaContext(
  functionName: string,
  timeoutSeconds: number,
): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION()}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Builds the event of an EventBridge schedule that fired at `time`. */
export function scheduledEvent(time: Date, ruleName: string): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION(),
    resources: [`arn:aws:events:${REGION()}:${ACCOUNT}:rule/${ruleName}`],
    detail: {},
  };
}

/** Finds the route key, such as `GET /tenants/{tenantId}/packages`, that matches a request. */
function matchRoute(
  routeKeys: string[],
  method: string,
  path: string,
): { routeKey: string; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const routeKey of routeKeys) {
    const [routeMethod, template = ''] = routeKey.split(' ');
    const parts = template.split('/').filter(Boolean);
    if (routeMethod !== method || parts.length !== segments.length) {
      continue;
    }
    const pathParameters: Record<string, string> = {};
    const matches = parts.every((part, index) => {
      const segment = decodeURIComponent(segments[index] ?? '');
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name) {
        pathParameters[name] = segment;
        return true;
      }
      return part === segment;
    });
    if (matches) {
      return { routeKey, pathParameters };
    }
  }
  return undefined;
}

/**
 * Builds an HTTP API event, payload format 2.0, as API Gateway sends it for
 * one of `routeKeys`; an unmatched request gets the `$default` route key.
 */
export function httpApiEvent(
  routeKeys: string[],
  method: string,
  path: string,
  body?: string,
): APIGatewayProxyEventV2 {
  const match = matchRoute(routeKeys, method, path);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: match?.routeKey ?? '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'localhost' },
    ...(match && { pathParameters: match.pathParameters }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'closeout-health-local',
      },
      requestId: randomUUID(),
      routeKey: match?.routeKey ?? '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body !== undefined && { body }),
    isBase64Encoded: false,
  };
}
