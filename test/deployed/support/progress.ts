/**
 * Progress lines and bounded waits of the deployed-stack test. A line goes
 * straight to stderr, so that a long run shows where it is.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const started = Date.now();

/** Writes `[e2e 12.3 s] message` to stderr. */
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`[e2e ${seconds} s] ${message}\n`);
}

/** Settings of {@link waitFor}. */
export interface WaitOptions {
  timeoutMs: number;
  /** Pause between two probes. */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns a value other than `undefined` and returns
 * that value.
 *
 * @param description - what is awaited, for the progress line and the error.
 * @throws Error naming `description` when `timeoutMs` passes first. The last
 *   error that `probe` threw, if any, is its `cause`.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const begin = Date.now();
  const deadline = begin + options.timeoutMs;
  let lastError: unknown;
  progress(`waiting up to ${options.timeoutMs / 1000} s for ${description}`);

  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) {
        progress(`${description}: after ${(Date.now() - begin) / 1000} s`);
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 2000);
  }
  throw new Error(
    `Timed out after ${options.timeoutMs / 1000} s waiting for ${description}.`,
    { cause: lastError },
  );
}
