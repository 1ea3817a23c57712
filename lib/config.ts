/**
 * Service settings, read once from the environment and checked with zod, so
 * that a function fails at start-up naming the variable that is wrong.
 */
import { z } from 'zod';
import { assertTimeZone } from './domain/calendar.ts';
import { ConfigurationError } from './errors.ts';
import { parseInput } from './validation.ts';

/** A delivery target. Its URL may carry a credential, so it stays in settings. */
export const ConnectorSchema = z.object({
  type: z.enum(['webhook', 'slack', 'teams', 'pagerduty']),
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.int().min(100).max(60_000).default(10_000),
});
export type Connector = z.output<typeof ConnectorSchema>;

const ConnectorsSchema = z.record(z.string().min(1), ConnectorSchema);

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
  connectors: Record<string, Connector>;
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
    const connectors = parseInput(
      ConnectorsSchema,
      JSON.parse(settings.CONNECTORS),
      'CONNECTORS setting',
    );
    return {
      tableName: settings.TABLE_NAME,
      alertTopicArn: settings.ALERT_TOPIC_ARN,
      retryQueueUrl: settings.RETRY_QUEUE_URL,
      zone: settings.EVALUATION_ZONE,
      warningDays: settings.WARNING_DAYS,
      criticalDays: settings.CRITICAL_DAYS,
      alertRepeatMinutes: settings.ALERT_REPEAT_MINUTES,
      maxAttempts: settings.MAX_ATTEMPTS,
      connectors,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(`Invalid service settings: ${reason}`, {
      cause: error,
    });
  }
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
