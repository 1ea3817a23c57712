/**
 * Command line of the main job:
 *
 *   npm start -- [--as-of 2026-05-31T08:30:00Z] [--zone UTC] [--json]
 *
 * Starts a local AWS endpoint unless AWS_ENDPOINT_URL is set, runs the main
 * job on the evidence package and prints the report.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { assertTimeZone } from '../domain/calendar.ts';
import { InstantSchema } from '../domain/evidence-package.ts';
import { ClientError } from '../errors.ts';
import { assertTenantId } from '../operations/import-package.ts';
import { defineService } from '../resources.ts';
import { startLocalRuntime } from './local-runtime.ts';

const LOG_LEVELS = [
  'TRACE',
  'DEBUG',
  'INFO',
  'WARN',
  'ERROR',
  'CRITICAL',
  'SILENT',
];

import { runMainJob } from './main-job.ts';
import { renderReport } from './render-report.ts';

const USAGE = `Usage: npm start -- [options]

  --package PATH   evidence package to import
                   (default examples/cavra-sample-evidence-package.json)
  --as-of INSTANT  ISO 8601 instant of the evaluation, with offset (default now)
  --zone ZONE      IANA time zone of the evaluation's calendar date (default UTC)
  --tenant ID      tenant that owns the evidence (default cavra-demo)
  --stage NAME     resource name prefix on the endpoint (default local)
  --json           print one JSON object instead of the text report
  --log-level LVL  Powertools log level of the handlers, written to standard
                   output: TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL or SILENT
                   (default SILENT; only SILENT works with --json)
  --help           print this text

Set AWS_ENDPOINT_URL to use a running endpoint such as LocalStack; without it
a moto server is started on 127.0.0.1 and stopped at the end.`;

function readOptions() {
  const { values } = parseArgs({
    options: {
      package: {
        type: 'string',
        default: 'examples/cavra-sample-evidence-package.json',
      },
      'as-of': { type: 'string' },
      zone: { type: 'string', default: 'UTC' },
      tenant: { type: 'string', default: 'cavra-demo' },
      stage: { type: 'string', default: 'local' },
      json: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'SILENT' },
      help: { type: 'boolean', default: false },
    },
  });
  const asOfText = values['as-of'];
  if (asOfText !== undefined && !InstantSchema.safeParse(asOfText).success) {
    throw new ClientError(
      `Invalid --as-of "${asOfText}": expected an existing date and time in ISO 8601 with offset, such as 2026-05-31T08:30:00Z.`,
    );
  }
  assertTimeZone(values.zone);
  assertTenantId(values.tenant);

  try {
    defineService(values.stage);
  } catch (error) {
    throw new ClientError(`Invalid --stage: ${(error as Error).message}`);
  }

  const logLevel = values['log-level'].toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ClientError(
      `Invalid --log-level "${values['log-level']}": expected one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  if (values.json && logLevel !== 'SILENT') {
    throw new ClientError(
      'The handlers log to standard output, which would break --json; leave --log-level at SILENT with --json.',
    );
  }

  // npm runs scripts from the project folder; INIT_CWD is the caller's.
  const packagePath = resolve(
    process.env.INIT_CWD ?? process.cwd(),
    values.package,
  );
  if (!existsSync(packagePath) || !statSync(packagePath).isFile()) {
    throw new ClientError(
      `Invalid --package "${values.package}": ${packagePath} is not a file. Give the path of an evidence package JSON file.`,
    );
  }
  return {
    ...values,
    logLevel,
    packagePath,
    asOf: asOfText ? new Date(asOfText) : new Date(),
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof ClientError) {
    const issues = error.issues.map(
      (issue) => `  ${issue.path}: ${issue.message}`,
    );
    return [error.message, ...issues].join('\n');
  }
  const code = (error as { code?: string; cause?: { code?: string } }).code;
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (code === 'ECONNREFUSED' && endpoint) {
    return `Cannot reach AWS_ENDPOINT_URL=${endpoint}; start that endpoint or unset the variable to use a local moto server.`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<number> {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    console.error(USAGE);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }

  const runtime = await startLocalRuntime({
    stage: options.stage,
    zone: options.zone,
    logLevel: options.logLevel,
  });
  const stop = () => {
    runtime.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await runMainJob(runtime, {
      packagePath: options.packagePath,
      tenantId: options.tenant,
      asOf: options.asOf,
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : renderReport(result),
    );
    return 0;
  } finally {
    await runtime.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`main job failed: ${describeFailure(error)}`);
    process.exit(error instanceof ClientError ? 2 : 1);
  },
);
