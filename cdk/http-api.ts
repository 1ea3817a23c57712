import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  type HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { API_ROUTE_KEYS } from '#lib/api/route-keys.ts';

/** Methods and paths of the routes, from the API's route keys. */
export const HTTP_API_ROUTES = API_ROUTE_KEYS.map((routeKey) => {
  const [method = '', path = ''] = routeKey.split(' ');
  return { method: method as HttpMethod, path };
});

/**
 * Fields of one access log event. The bearer token is never logged; the
 * caller is identified by the token's `sub` claim.
 */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  subject: '$context.authorizer.claims.sub',
};

/** Settings of the HTTP API. */
export interface HttpApiOptions {
  /** Name of the API in API Gateway. */
  readonly apiName: string;
  /** Function that serves every route with payload format 2.0. */
  readonly handler: IFunction;
  /** Issuer URL of the JSON Web Tokens, the `iss` claim. */
  readonly jwtIssuer: string;
  /** Accepted `aud` claims; a token must carry one of them. */
  readonly jwtAudience: readonly string[];
  /** Steady-state requests per second of the stage. */
  readonly rateLimit: number;
  /** Requests that the stage accepts at once above the rate. */
  readonly burstLimit: number;
  /**
   * Days that the access log group keeps events.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
}

/** The HTTP API and its `$default` stage. */
export interface ServiceHttpApi {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
}

/**
 * Creates the HTTP API with the construct id `Api` in `scope`. Every route
 * requires a JSON Web Token from the configured issuer and audience, and the
 * `$default` stage throttles requests and writes an access log.
 */
export function createHttpApi(
  scope: Construct,
  options: HttpApiOptions,
): ServiceHttpApi {
  const httpApi = new HttpApi(scope, 'Api', {
    apiName: options.apiName,
    description: 'Evidence Console and CI access to closeout-health.',
    defaultAuthorizer: new HttpJwtAuthorizer(
      'JwtAuthorizer',
      options.jwtIssuer,
      { jwtAudience: [...options.jwtAudience] },
    ),
    // The stage below replaces the default one, which takes no throttling
    // or access log settings.
    createDefaultStage: false,
  });

  const accessLogGroup = new LogGroup(scope, 'ApiAccessLogGroup', {
    retention: options.accessLogRetention ?? RetentionDays.ONE_MONTH,
  });
  const stage = new HttpStage(scope, 'ApiDefaultStage', {
    httpApi,
    stageName: '$default',
    autoDeploy: true,
    throttle: {
      rateLimit: options.rateLimit,
      burstLimit: options.burstLimit,
    },
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogGroup),
      format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
    },
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
  return { httpApi, stage };
}
