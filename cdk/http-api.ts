import {
  HttpApi,
  type HttpMethod,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { API_ROUTE_KEYS } from '#lib/api/route-keys.ts';

/** Methods and paths of the routes, from the API's route keys. */
export const HTTP_API_ROUTES = API_ROUTE_KEYS.map((routeKey) => {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method: method as HttpMethod, path };
});

/** Settings of the HTTP API. */
export interface HttpApiOptions {
  /** Name of the API in API Gateway. */
  readonly apiName: string;
  /** Function that serves every route with payload format 2.0. */
  readonly handler: IFunction;
}

/**
 * Creates the HTTP API with the construct id `Api` in `scope`. Every route
 * requires IAM authorization (SigV4), so only principals allowed
 * `execute-api:Invoke` on a route can call it.
 */
export function createHttpApi(
  scope: Construct,
  options: HttpApiOptions,
): HttpApi {
  const httpApi = new HttpApi(scope, 'Api', {
    apiName: options.apiName,
    description: 'Evidence Console and CI access to closeout-health.',
    defaultAuthorizer: new HttpIamAuthorizer(),
  });
  const integration = new HttpLambdaIntegration(
    'ApiIntegration',
    options.handler,
    { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 },
  );

  for (const route of HTTP_API_ROUTES) {
    httpApi.addRoutes({
      path: route.path,
      methods: [route.method],
      integration,
    });
  }
  return httpApi;
}
