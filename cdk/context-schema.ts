/**
 * Schema of the CDK context values that configure a deployment. Values from
 * `cdk.json` arrive as JSON; values from `--context KEY=VALUE` arrive as
 * strings, so numbers, lists and objects are also accepted in text form.
 */
import * as z from 'zod';

import { ConnectorTypeSchema, SecretNameSchema } from '#lib/config.ts';
import {
  CircuitPolicySettingsSchema,
  RetryPolicySettingsSchema,
} from '#lib/delivery-policy.ts';
import { assertTimeZone } from '#lib/domain/calendar.ts';
import { assertTenantId } from '#lib/operations/import-package.ts';
import { defineService } from '#lib/resources.ts';

/** Adds the message of the error that `check` throws as an issue. */
function refineWith(check: (value: string) => void) {
  return (value: string, context: z.RefinementCtx) => {
    try {
      check(value);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The caller joins the issues into one sentence.
      context.addIssue({ code: 'custom', message: message.replace(/\.$/, '') });
    }
  };
}

/** Accepts a JSON text from the command line in place of a JSON value. */
function fromJsonText<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value, context) => {
    if (typeof value !== 'string') {
      return value;
    }
    try {
      return JSON.parse(value);
    } catch {
      // The SyntaxError is dropped because its message quotes the value.
      context.addIssue({
        code: 'custom',
        message: `the value is not valid JSON, which --context takes in shell quotes, such as KEY='{"a":1}'`,
      });
      return z.NEVER;
    }
  }, schema);
}

function integer(min: number, max: number, defaultValue: number) {
  return z.coerce.number().int().min(min).max(max).default(defaultValue);
}

const RATE_PATTERN = /^rate\((\d+) (minute|hour|day)(s?)\)$/;
const CRON_PATTERN = /^cron\(\S+( \S+){5}\)$/;

/** Checks an EventBridge schedule expression, as far as its form goes. */
function assertScheduleExpression(expression: string): void {
  const rate = RATE_PATTERN.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const plural = rate[3] === 's';
    // EventBridge takes the singular unit for 1 and the plural for more.
    if (value >= 1 && plural === value > 1) {
      return;
    }
  } else if (CRON_PATTERN.test(expression)) {
    return;
  }
  throw new Error(
    'expected an EventBridge schedule such as "rate(1 hour)", "rate(15 minutes)" or "cron(0 6 * * ? *)"',
  );
}

/** Accepts `https` issuers, and `http://127.0.0.1` for local endpoints. */
function assertIssuer(issuer: string): void {
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  const local = url?.protocol === 'http:' && url.hostname === '127.0.0.1';
  if (url?.protocol !== 'https:' && !local) {
    throw new Error(
      'expected an https URL such as "https://auth.example.com/", or http://127.0.0.1 for a local endpoint',
    );
  }
}

const ConnectorReferenceSchema = z.strictObject(
  {
    type: ConnectorTypeSchema,
    secretName: SecretNameSchema,
    timeoutMs: z.int().min(100).max(60_000).optional(),
    retry: RetryPolicySettingsSchema.optional(),
    circuit: CircuitPolicySettingsSchema.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unexpected ${issue.keys.join(', ')}: a connector names the Secrets Manager secret that contains its URL and headers, as {"type": "webhook", "secretName": "..."}`
        : undefined,
  },
);

const TenantListSchema = z.preprocess(
  (value) =>
    typeof value === 'string' && !value.trim().startsWith('[')
      ? value.split(',').map((tenantId) => tenantId.trim())
      : value,
  fromJsonText(
    z
      .array(z.string().superRefine(refineWith(assertTenantId)))
      .refine(
        (tenants) => new Set(tenants).size === tenants.length,
        'expected each tenant id once',
      ),
  ),
);

/** Every deployment setting, checked and with defaults filled in. */
export const DeploymentSettingsSchema = z
  .object({
    stage: z.string().superRefine(refineWith(defineService)).default('dev'),
    schedule: z
      .string()
      .superRefine(refineWith(assertScheduleExpression))
      .optional(),
    zone: z.string().superRefine(refineWith(assertTimeZone)).default('UTC'),
    warningDays: integer(1, 3650, 30),
    criticalDays: integer(0, 3650, 7),
    tenants: TenantListSchema.default([]),
    jwt: fromJsonText(
      z.strictObject(
        {
          issuer: z.string().superRefine(refineWith(assertIssuer)),
          audience: z.array(z.string().min(1)).min(1),
        },
        {
          error: (issue) =>
            issue.input === undefined
              ? 'missing; set the token issuer and audience, as {"issuer": "https://auth.example.com/", "audience": ["closeout-health"]}'
              : undefined,
        },
      ),
    ),
    throttling: fromJsonText(
      z.strictObject({
        rateLimit: z.number().positive().max(10_000).default(50),
        burstLimit: z.int().min(1).max(5_000).default(100),
      }),
    ).default({ rateLimit: 50, burstLimit: 100 }),
    connectors: fromJsonText(
      z.record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
          message:
            'expected a route name of 1 to 128 characters of A-Z, a-z, 0-9 and ._-',
        }),
        ConnectorReferenceSchema,
      ),
    ).default({}),
  })
  .refine((settings) => settings.criticalDays <= settings.warningDays, {
    message: 'must not exceed warningDays',
    path: ['criticalDays'],
  });

/** Deployment settings as the stack receives them. */
export type DeploymentSettings = z.output<typeof DeploymentSettingsSchema>;

/** Context keys of the deployment settings, in the order of the schema. */
export const CONTEXT_KEYS = Object.keys(
  DeploymentSettingsSchema.shape,
) as Array<keyof DeploymentSettings>;
