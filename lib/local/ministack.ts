/**
 * MiniStack, a local AWS emulator that also runs Lambda functions, API
 * Gateway and CloudFormation, started from the project virtualenv on a free
 * port of 127.0.0.1. The deployed-stack tests use it to deploy the CDK stack.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort, PROJECT_ROOT, venvProgram } from './emulator.ts';

const REQUIREMENTS = join(PROJECT_ROOT, 'lib/local/python-requirements.txt');
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running MiniStack server that this process started. */
export interface MiniStack {
  /** Endpoint such as `http://127.0.0.1:40123`, for `AWS_ENDPOINT_URL`. */
  url: string;
  port: number;
  /** Server log; it also contains the output of the Lambda functions. */
  logFile: string;
  /**
   * Stops the server and its Lambda workers and deletes the temporary
   * folder that contains the unpacked function code and the log.
   */
  stop(options?: { keepLog?: boolean }): Promise<void>;
}

/**
 * Installs the pinned emulators into `.venv` unless MiniStack and the
 * `cryptography` package, which MiniStack needs to verify JWT signatures,
 * are already there.
 */
export function ensureMiniStack(): void {
  const python = venvProgram('python');
  if (existsSync(venvProgram('ministack')) && existsSync(python)) {
    try {
      execFileSync(python, ['-c', 'import cryptography'], { stdio: 'ignore' });
      return;
    } catch {
      // Missing; install below.
    }
  }
  process.stderr.write('installing MiniStack into .venv\n');
  if (!existsSync(python)) {
    execFileSync('python3', ['-m', 'venv', join(PROJECT_ROOT, '.venv')], {
      stdio: 'inherit',
    });
  }
  execFileSync(
    venvProgram('pip'),
    ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `MiniStack exited with code ${child.exitCode} before it was ready. Last lines of ${logFile}:\n${logTail(logFile)}`,
      );
    }
    try {
      const response = await fetch(`${url}/_ministack/health`);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `MiniStack at ${url} was not ready within ${READY_TIMEOUT_MS} ms; see ${logFile}.`,
  );
}

function waitForExit(child: ChildProcess, timeoutMs: number) {
  return new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Sends `signal` to the server's process group, which contains its workers. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has already exited.
  }
}

/**
 * Starts MiniStack on a free port of 127.0.0.1 and waits until it is ready.
 *
 * The server gets its own temporary folder as `TMPDIR`, so the function code
 * that it unpacks (`ministack-lambda-*`) stays out of the shared `/tmp` and
 * is deleted by `stop`. `DOCKER_HOST` names a socket that does not exist,
 * so MiniStack cannot reach a Docker daemon, and it runs the Lambda
 * functions with the local `node`.
 */
export async function startMiniStack(): Promise<MiniStack> {
  ensureMiniStack();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const workDirectory = mkdtempSync(join(tmpdir(), 'closeout-ministack-'));
  const logFile = join(workDirectory, 'ministack.log');
  const log = openSync(logFile, 'a');

  const child = spawn(venvProgram('ministack'), [], {
    cwd: workDirectory,
    // A separate process group, so that `stop` reaches the Lambda workers.
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? workDirectory,
      LANG: process.env.LANG ?? 'C.UTF-8',
      TMPDIR: workDirectory,
      // Without BIND_HOST, MiniStack listens on 0.0.0.0.
      BIND_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      // Host name of the URLs that MiniStack returns, such as queue URLs.
      MINISTACK_HOST: '127.0.0.1',
      LAMBDA_EXECUTOR: 'local',
      DOCKER_HOST: `unix://${join(workDirectory, 'no-docker.sock')}`,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  closeSync(log);
  // The server runs in its own process group, so it would outlive this
  // process if `stop` were never called.
  const killOnExit = () => {
    signalGroup(child, 'SIGKILL');
    rmSync(workDirectory, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  try {
    await waitUntilReady(url, child, logFile);
  } catch (error) {
    // Keeps the folder, because the error names the log in it.
    process.removeListener('exit', killOnExit);
    signalGroup(child, 'SIGKILL');
    throw error;
  }

  return {
    url,
    port,
    logFile,
    async stop(options = {}) {
      process.removeListener('exit', killOnExit);
      signalGroup(child, 'SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        signalGroup(child, 'SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
      if (options.keepLog) {
        // Keeps the log for the reader of a failed run, drops the rest.
        const entries = await readdir(workDirectory);
        await Promise.all(
          entries
            .filter((name) => name !== 'ministack.log')
            .map((name) =>
              rm(join(workDirectory, name), { recursive: true, force: true }),
            ),
        );
        return;
      }
      await rm(workDirectory, { recursive: true, force: true });
    },
  };
}
