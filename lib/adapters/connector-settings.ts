/**
 * Resolves connector routes to the inline `Connector` shape. A route given
 * by secret reference is read from Secrets Manager through the Powertools
 * Parameters utility, which keeps each secret value in memory for
 * `maxAgeSeconds`, so a warm function does not call Secrets Manager for
 * every delivery.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import {
  type Connector,
  ConnectorHeadersSchema,
  type ConnectorSecretReference,
  type ConnectorSetting,
  parseConnectorSettings,
} from '../config.ts';
import { ConfigurationError } from '../errors.ts';
import { toJsonPath } from '../validation.ts';

/**
 * Seconds that a secret value is reused before it is read again. A rotated
 * webhook URL reaches warm functions within this time.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/** The JSON value of a connector secret: `{"url": ..., "headers": {...}}`. */
export const ConnectorSecretValueSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  headers: ConnectorHeadersSchema.default({}),
});

/** Options of {@link createConnectorResolver}. */
export interface ConnectorResolverOptions {
  /**
   * Provider that reads and caches the secrets.
   *
   * @default a `SecretsProvider` with the SDK's default client settings
   */
  provider?: SecretsProvider;
  /**
   * Seconds that a secret value is reused before it is read again.
   *
   * @default SECRET_MAX_AGE_SECONDS
   */
  maxAgeSeconds?: number;
}

/**
 * Returns the connector of a route, or undefined when the route has no
 * connector setting.
 */
export type ConnectorResolver = (
  route: string,
) => Promise<Connector | undefined>;

/**
 * Creates a resolver over the given connector settings.
 *
 * The resolver rejects with a `ConfigurationError` when a route's secret
 * cannot be read or its value is not JSON of the form `{url, headers?}`.
 * The error names the route and the secret, never the secret's value.
 */
export function createConnectorResolver(
  settings: Record<string, ConnectorSetting>,
  options: ConnectorResolverOptions = {},
): ConnectorResolver {
  let provider = options.provider;
  const maxAge = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;

  return async (route) => {
    const setting = Object.hasOwn(settings, route)
      ? settings[route]
      : undefined;
    if (setting === undefined) {
      return undefined;
    }
    if ('url' in setting) {
      return setting;
    }
    provider ??= new SecretsProvider();
    const value = await readSecretValue(provider, route, setting, maxAge);
    const { secretId: _secretId, ...settingWithoutSecret } = setting;
    return { ...settingWithoutSecret, ...value };
  };
}

let processResolver: ConnectorResolver | undefined;

/**
 * Resolves a route with the `CONNECTORS` variable of this process, which is
 * parsed on the first call.
 *
 * @returns The connector, or undefined when `CONNECTORS` has no such route.
 * @throws ConfigurationError when `CONNECTORS` is invalid, or when the
 *   route's secret cannot be read or contains an invalid value.
 */
export async function resolveConnector(
  route: string,
): Promise<Connector | undefined> {
  processResolver ??= createConnectorResolver(
    parseConnectorSettings(process.env.CONNECTORS ?? '{}'),
  );
  return processResolver(route);
}

async function readSecretValue(
  provider: SecretsProvider,
  route: string,
  reference: ConnectorSecretReference,
  maxAge: number,
): Promise<z.output<typeof ConnectorSecretValueSchema>> {
  const subject = `the secret ${reference.secretId} of connector route ${route}`;

  let text: string | Uint8Array | undefined;
  try {
    text = await provider.get(reference.secretId, { maxAge });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      `Cannot read ${subject}: ${reason}. Check that the secret exists and that the function may call secretsmanager:GetSecretValue on it.`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new ConfigurationError(`Missing value of ${subject}.`);
  }

  let value: unknown;
  try {
    value = JSON.parse(
      typeof text === 'string' ? text : new TextDecoder().decode(text),
    );
  } catch {
    // The SyntaxError is dropped because its message quotes the secret.
    throw new ConfigurationError(
      `Invalid value of ${subject}: expected JSON such as {"url": "https://...", "headers": {}}.`,
    );
  }

  const result = ConnectorSecretValueSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues
      .map((issue) => `${toJsonPath(issue.path)}: ${issue.message}`)
      .join('; ');
    throw new ConfigurationError(`Invalid value of ${subject}: ${issues}.`);
  }
  return result.data;
}
