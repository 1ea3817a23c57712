/**
 * Service settings, read once from the environment and checked with zod, so
 * that a function fails at start-up naming the variable that is wrong.
 */
import * as z from 'zod';
import {
  CircuitPolicySettingsSchema,
  RetryPolicySettingsSchema,
} from './delivery-policy.ts';
import { assertTimeZone } from './domain/calendar.ts';
import { ConfigurationError } from './errors.ts';
import { parseInput } from './validation.ts';

/** Kinds of delivery target that alerts and closeout evidence go to. */
export const ConnectorTypeSchema = z.enum([
  'webhook',
  'slack',
  'teams',
  'pagerduty',
]);

/** Headers sent with every request to a connector, such as an API key. */
export const ConnectorHeadersSchema = z.record(z.string(), z.string());

/** Milliseconds that one request to a connector may take. */
const TimeoutSchema = z.int().min(100).max(60_000).default(10_000);

/** A delivery target. Its URL may carry a credential, so it stays in settings. */
export const ConnectorSchema = z.object({
  type: ConnectorTypeSchema,
  url: z.url({ protocol: /^https?$/ }),
  headers: ConnectorHeadersSchema.default({}),
  timeoutMs: TimeoutSchema,
  retry: RetryPolicySettingsSchema.optional(),
  circuit: CircuitPolicySettingsSchema.optional(),
});
export type Connector = z.output<typeof ConnectorSchema>;

/** Name of a Secrets Manager secret, with the characters that AWS allows. */
export const SecretNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9/_+=.@-]{1,512}$/,
    'expected a secret name of 1 to 512 characters of A-Z, a-z, 0-9 and /_+=.@-',
  );

const SecretArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'expected the ARN of a Secrets Manager secret',
  );

/**
 * A connector whose URL and headers are kept in a Secrets Manager secret, so
 * that no setting and no template contains them. The input names the secret
 * by `secretArn` or by `secretName`; the output keeps it as `secretId`.
 */
export const ConnectorSecretReferenceSchema = z
  .strictObject({
    type: ConnectorTypeSchema,
    secretArn: SecretArnSchema.optional(),
    secretName: SecretNameSchema.optional(),
    timeoutMs: TimeoutSchema,
    retry: RetryPolicySettingsSchema.optional(),
    circuit: CircuitPolicySettingsSchema.optional(),
  })
  .transform((reference, context) => {
    const { secretArn, secretName } = reference;
    const secretId = secretArn ?? secretName;
    if (secretId === undefined || (secretArn && secretName)) {
      context.addIssue({
        code: 'custom',
        message: 'set either secretArn or secretName, not both',
      });
      return z.NEVER;
    }
    return {
      type: reference.type,
      secretId,
      timeoutMs: reference.timeoutMs,
      ...(reference.retry && { retry: reference.retry }),
      ...(reference.circuit && { circuit: reference.circuit }),
    };
  });
export type ConnectorSecretReference = z.output<
  typeof ConnectorSecretReferenceSchema
>;

/** A route's connector: inline, or a reference to a secret. */
export type ConnectorSetting = Connector | ConnectorSecretReference;

/**
 * One route's connector setting. A `url` field selects the inline form,
 * anything else the secret reference, so that an error names the fields of
 * the form that the caller meant instead of a generic union error.
 */
export const ConnectorSettingSchema = z
  .unknown()
  .transform((value, context): ConnectorSetting => {
    const inline =
      typeof value === 'object' && value !== null && 'url' in value;
    const schema = inline ? ConnectorSchema : ConnectorSecretReferenceSchema;

    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        context.addIssue({
          code: 'custom',
          message: issue.message,
          path: issue.path,
        });
      }
      return z.NEVER;
    }
    return result.data;
  });

/** Connector settings by route name, as in the `CONNECTORS` variable. */
export const ConnectorSettingsSchema = z.record(
  z.string().min(1),
  ConnectorSettingSchema,
);

/**
 * Parses the JSON text of the `CONNECTORS` variable.
 *
 * @throws ConfigurationError naming the first invalid field by its JSON
 *   path. The message never repeats a value, because connector URLs and
 *   headers can carry credentials.
 */
export function parseConnectorSettings(
  text: string,
): Record<string, ConnectorSetting> {
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch {
    // The SyntaxError is dropped because its message quotes part of the text.
    throw new ConfigurationError(
      'Invalid CONNECTORS setting: the value is not valid JSON. Set it to a JSON object that maps route names to connectors.',
    );
  }
  try {
    return parseInput(ConnectorSettingsSchema, settings, 'CONNECTORS setting');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(reason, { cause: error });
  }
}

function integerSetting(defaultValue: number, min: number, max: number) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

const EnvironmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  ALERT_TOPIC_ARN: z.string().min(1).optional(),
  RETRY_QUEUE_URL: z.string().min(1).optional(),
  EVALUATION_ZONE: z.string().default('UTC'),
  WARNING_DAYS: integerSetting(30, 1, 3650),
  CRITICAL_DAYS: integerSetting(7, 0, 3650),
  ALERT_REPEAT_MINUTES: integerSetting(240, 1, 10_080),
  MAX_ATTEMPTS: integerSetting(8, 1, 100),
  CONNECTORS: z.string().default('{}'),
  TENANTS: z.string().default(''),
});

export interface ServiceConfig {
  tableName: string;
  alertTopicArn: string | undefined;
  retryQueueUrl: string | undefined;
  zone: string;
  warningDays: number;
  criticalDays: number;
  alertRepeatMinutes: number;
  maxAttempts: number;
  /** Every route's connector setting, inline or by secret reference. */
  connectorSettings: Record<string, ConnectorSetting>;
  /**
   * The routes whose connector is given inline.
   *
   * NOTE: routes given by secret reference are missing here; resolve them
   * with `resolveConnector` from `adapters/connector-settings.ts`.
   */
  connectors: Record<string, Connector>;
  /** Tenants that the scheduled evaluation covers; empty means every tenant. */
  tenants: string[];
}

/**
 * Reads the service settings from `env`.
 *
 * @throws ConfigurationError naming each missing or invalid variable.
 */
export function readConfig(
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  try {
    const settings = parseInput(EnvironmentSchema, env, 'environment');
    assertTimeZone(settings.EVALUATION_ZONE);
    if (settings.CRITICAL_DAYS > settings.WARNING_DAYS) {
      throw new Error(
        `CRITICAL_DAYS (${settings.CRITICAL_DAYS}) must not exceed WARNING_DAYS (${settings.WARNING_DAYS})`,
      );
    }
    const connectorSettings = parseConnectorSettings(settings.CONNECTORS);
    return {
      tableName: settings.TABLE_NAME,
      alertTopicArn: settings.ALERT_TOPIC_ARN,
      retryQueueUrl: settings.RETRY_QUEUE_URL,
      zone: settings.EVALUATION_ZONE,
      warningDays: settings.WARNING_DAYS,
      criticalDays: settings.CRITICAL_DAYS,
      alertRepeatMinutes: settings.ALERT_REPEAT_MINUTES,
      maxAttempts: settings.MAX_ATTEMPTS,
      connectorSettings,
      connectors: inlineConnectors(connectorSettings),
      tenants: parseTenantList(settings.TENANTS),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(`Invalid service settings: ${reason}`, {
      cause: error,
    });
  }
}

function inlineConnectors(
  settings: Record<string, ConnectorSetting>,
): Record<string, Connector> {
  const connectors: Record<string, Connector> = {};
  for (const [route, setting] of Object.entries(settings)) {
    if ('url' in setting) {
      connectors[route] = setting;
    }
  }
  return connectors;
}

/** Splits the comma-separated `TENANTS` list, ignoring blanks. */
function parseTenantList(text: string): string[] {
  return text
    .split(',')
    .map((tenantId) => tenantId.trim())
    .filter((tenantId) => tenantId.length > 0);
}

/** Reads a setting that a function cannot work without. */
export function requireSetting(
  value: string | undefined,
  name: string,
): string {
  if (!value) {
    throw new ConfigurationError(
      `Missing environment variable ${name}; the stack sets it for the functions that need it.`,
    );
  }
  return value;
}
