/**
 * Cold module-load time of a bundle: each sample is a fresh `node` process
 * that imports the bundle once and reports how long the import took.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Run inside the child; it times only the import, not Node's start-up. */
const IMPORT_SCRIPT = `
const start = performance.now();
await import(process.env.BENCH_MODULE_URL);
process.stdout.write(JSON.stringify({ importMs: performance.now() - start }));
`;

/** One sample, in milliseconds. */
export interface LoadSample {
  /** Time of the `import()` inside the child process. */
  importMs: number;
  /** Time from spawning the child to its exit, Node's start-up included. */
  processMs: number;
}

/**
 * Imports `modulePath` in a new `node` process with only `environment` set.
 *
 * @throws Error with the child's stderr when the import fails, for example
 *   because the function requires a setting that `environment` lacks.
 */
export function sampleModuleLoad(
  modulePath: string,
  environment: Record<string, string>,
): Promise<LoadSample> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--input-type=module', '--eval', IMPORT_SCRIPT],
    {
      env: { ...environment, BENCH_MODULE_URL: pathToFileURL(modulePath).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });

  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      const processMs = performance.now() - started;
      if (code !== 0) {
        reject(
          new Error(
            `Importing ${modulePath} failed with exit code ${code}:\n${shortLines(stderr)}`,
          ),
        );
        return;
      }
      const { importMs } = JSON.parse(stdout) as { importMs: number };
      resolve({ importMs, processMs });
    });
  });
}

/**
 * Cuts each line of a child's stderr to 300 characters, because a stack
 * trace of a minified bundle quotes lines that are megabytes long.
 */
function shortLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');
}

/** Returns the `p`-th percentile of `values` by the nearest-rank method. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}
