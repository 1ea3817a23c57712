/**
 * HTTP API function (API Gateway payload format 2.0): Evidence Console
 * actions. Client mistakes return 4xx with the field and the fix; anything
 * else returns a generic 500 and the cause is logged.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { awsClients } from '#lib/adapters/aws-clients.ts';
import { EvidenceRepository } from '#lib/adapters/evidence-repository.ts';
import { RetryQueue } from '#lib/adapters/retry-queue.ts';
import type { ApiRouteKey } from '#lib/api/route-keys.ts';
import { API_ROUTES } from '#lib/api/routes.ts';
import { readConfig } from '#lib/config.ts';
import { ClientError } from '#lib/errors.ts';
import { logger } from '#lib/observability.ts';

const config = readConfig();
const clients = awsClients();
const dependencies = {
  repository: new EvidenceRepository(clients.documents, config.tableName),
  retryQueue: config.retryQueueUrl
    ? new RetryQueue(clients.sqs, config.retryQueueUrl)
    : undefined,
  config,
  now: () => new Date(),
};

function respond(
  statusCode: number,
  body: unknown,
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

async function handleRequest(
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const route = API_ROUTES[event.routeKey as ApiRouteKey];
  if (!route) {
    return respond(404, {
      message: `No route matches ${event.requestContext.http.method} ${event.rawPath}.`,
    });
  }
  const body =
    event.body && event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body;
  try {
    const result = await route(
      { pathParameters: event.pathParameters ?? {}, body },
      dependencies,
    );
    logger.info('request handled', {
      routeKey: event.routeKey,
      statusCode: result.statusCode,
    });
    return respond(result.statusCode, result.body);
  } catch (error) {
    if (error instanceof ClientError) {
      logger.info('request rejected', {
        routeKey: event.routeKey,
        statusCode: error.statusCode,
        reason: error.message,
      });
      return respond(error.statusCode, {
        message: error.message,
        issues: error.issues,
      });
    }
    logger.error('request failed', { routeKey: event.routeKey, error });
    return respond(500, {
      message: 'Internal error; the request was logged with its id.',
      requestId: event.requestContext.requestId,
    });
  }
}

export const handler = middy(handleRequest).use(injectLambdaContext(logger));
