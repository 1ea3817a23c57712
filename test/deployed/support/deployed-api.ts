/**
 * HTTP client of the deployed API. It calls the emulator's path-based
 * execute-api URL, `{endpoint}/_aws/execute-api/{apiId}/$default/...`, so
 * no request leaves the endpoint's host, although the stack's `HttpApiUrl`
 * output names an `execute-api` host name.
 *
 * NOTE: run against MiniStack 1.5.33 only. LocalStack documents a
 * `/_aws/execute-api/` path too, but this client was never run against it.
 */
import {
  type CloudFormationClient,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';

/** A response with its parsed JSON body. */
export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several routes.
  body: any;
}

export interface ApiRequestOptions {
  /** Bearer token for the `authorization` header; none when unset. */
  token?: string;
  /** JSON body; a string is sent unchanged. */
  body?: unknown;
}

export interface DeployedApi {
  /** Base URL of the `$default` stage. */
  baseUrl: string;
  request(
    method: string,
    path: string,
    options?: ApiRequestOptions,
  ): Promise<ApiResponse>;
}

/**
 * Returns the id of the stack's only HTTP API.
 *
 * @throws Error when the stack has no `AWS::ApiGatewayV2::Api` or several.
 */
export async function findHttpApiId(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<string> {
  const apiIds: string[] = [];
  const pages = paginateListStackResources(
    { client: cloudFormation },
    { StackName: stackName },
  );
  for await (const page of pages) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (
        resource.ResourceType === 'AWS::ApiGatewayV2::Api' &&
        resource.PhysicalResourceId
      ) {
        apiIds.push(resource.PhysicalResourceId);
      }
    }
  }
  if (apiIds.length !== 1) {
    throw new Error(
      `Expected one AWS::ApiGatewayV2::Api in stack ${stackName}, found ${apiIds.length}.`,
    );
  }
  return apiIds[0] as string;
}

/** Creates a client of the API `apiId` served by the emulator at `endpoint`. */
export function deployedApi(endpoint: string, apiId: string): DeployedApi {
  const baseUrl = `${endpoint}/_aws/execute-api/${apiId}/$default`;

  return {
    baseUrl,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
      };
      if (options.token) {
        headers.authorization = `Bearer ${options.token}`;
      }
      const body =
        options.body === undefined || typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Keep a non-JSON body as text, so that the assertion shows it.
      }
      return { status: response.status, body: parsed };
    },
  };
}
