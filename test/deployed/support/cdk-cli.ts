/**
 * Runs the standard CDK CLI (`npx cdk`, the `aws-cdk` version of
 * package-lock.json) against a local AWS endpoint.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { PROJECT_ROOT } from '#lib/local/emulator.ts';

/** Output lines kept for the error message of a failed command. */
const TAIL_LINES = 40;

/** Where the CLI deploys to and where it writes its files. */
export interface CdkTarget {
  /** Local AWS endpoint, such as `http://127.0.0.1:40123`. */
  endpoint: string;
  /** Folder of the cloud assembly, private to one run. */
  outputDirectory: string;
  /** Context values, passed as `--context key=value`. */
  context: Record<string, string>;
}

/** Account and region that local emulators use. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/**
 * Returns the environment of every AWS and CDK command of the run: the local
 * endpoint with placeholder credentials, no instance metadata look-up, and
 * no CLI telemetry or version check, which would call hosts of their own.
 */
export function localAwsEnvironment(endpoint: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
  };
}

function contextArguments(context: Record<string, string>): string[] {
  return Object.entries(context).flatMap(([key, value]) => [
    '--context',
    `${key}=${value}`,
  ]);
}

/**
 * Runs `npx cdk ARGS` in the project root with the target's endpoint,
 * output folder and context.
 *
 * @throws Error with the exit code and the last lines of output when the
 *   command fails.
 */
export function runCdk(target: CdkTarget, args: string[]): Promise<void> {
  const fullArguments = [
    'cdk',
    ...args,
    '--no-notices',
    '--output',
    target.outputDirectory,
    ...contextArguments(target.context),
  ];
  const tail: string[] = [];
  let partial = '';
  const collect = (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > TAIL_LINES) {
        tail.shift();
      }
    }
  };

  return new Promise((resolve, reject) => {
    const child = spawn('npx', fullArguments, {
      cwd: PROJECT_ROOT,
      env: localAwsEnvironment(target.endpoint),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) {
        resolve();
        return;
      }
      reject(
        new Error(
          `cdk ${args[0]} failed with exit code ${code}. Last lines:\n${[...tail, partial].join('\n')}`,
        ),
      );
    });
  });
}

/** Bootstraps the local account and region for CDK deployments. */
export function bootstrap(target: CdkTarget): Promise<void> {
  return runCdk(target, [
    'bootstrap',
    `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`,
  ]);
}

/**
 * Deploys every stack of the app and returns the outputs of each stack by
 * stack name.
 */
export async function deploy(
  target: CdkTarget,
): Promise<Record<string, Record<string, string>>> {
  const outputsFile = join(target.outputDirectory, 'outputs.json');
  await runCdk(target, [
    'deploy',
    '--all',
    '--require-approval',
    'never',
    '--outputs-file',
    outputsFile,
  ]);
  return JSON.parse(await readFile(outputsFile, 'utf8'));
}

/** Deletes every stack of the app; retained resources stay. */
export function destroy(target: CdkTarget): Promise<void> {
  return runCdk(target, ['destroy', '--all', '--force']);
}
