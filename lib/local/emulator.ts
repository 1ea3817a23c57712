/**
 * A local AWS endpoint for the main job and the tests: moto server on
 * 127.0.0.1, installed into the project virtualenv `.venv` on first use.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '../errors.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VENV = join(PROJECT_ROOT, '.venv');
const REQUIREMENTS = join(PROJECT_ROOT, 'lib/local/python-requirements.txt');
const READY_TIMEOUT_MS = 60_000;

/** A running endpoint and how to stop it. */
export interface LocalEndpoint {
  url: string;
  /** True when this process started the endpoint and will stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

/** Returns the path of a program in the project virtualenv. */
export function venvProgram(name: string): string {
  return join(VENV, 'bin', name);
}

/**
 * Creates `.venv` and installs the pinned emulators unless they are there.
 * Progress goes to stderr, so that standard output stays a clean report.
 */
export function ensureEmulators(): void {
  if (existsSync(venvProgram('moto_server'))) {
    return;
  }
  process.stderr.write('installing the local AWS emulators into .venv\n');
  execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(
    venvProgram('pip'),
    ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `moto server exited with code ${child.exitCode} before it was ready`,
      );
    }
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `moto server at ${url} was not ready within ${READY_TIMEOUT_MS} ms`,
  );
}

/**
 * Returns the endpoint named by `AWS_ENDPOINT_URL`, or starts moto server on
 * a free port of 127.0.0.1 and returns that.
 */
export async function startLocalEndpoint(
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalEndpoint> {
  const configured = env.AWS_ENDPOINT_URL;
  if (configured && !URL.canParse(configured)) {
    throw new ConfigurationError(
      `Invalid AWS_ENDPOINT_URL "${configured}": expected a URL such as http://127.0.0.1:4566, or unset it to start a local moto server.`,
    );
  }
  if (configured) {
    return { url: configured, owned: false, stop: async () => {} };
  }
  ensureEmulators();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    venvProgram('moto_server'),
    ['-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
    },
  );
  // NOTE: the server stops when this process exits, after an uncaught error
  // too, but a SIGKILL of this process leaves it running.
  const killServer = () => child.kill('SIGTERM');
  process.once('exit', killServer);
  try {
    await waitUntilReady(url, child);
  } catch (error) {
    killServer();
    throw error;
  }

  return {
    url,
    owned: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        process.off('exit', killServer);
        child.kill('SIGTERM');
      }),
  };
}
