import { readFile } from 'node:fs/promises';
import type { LocalRuntime } from '../../lib/local/local-runtime.ts';

/** Reads the real evidence package that the tests import. */
export function samplePackage(): Promise<string> {
  return readFile('examples/cavra-sample-evidence-package.json', 'utf8');
}

/**
 * Imports the package for a tenant, plans its retry, completes a dry run
 * and starts the live run, which waits on the retry queue.
 */
export async function startLiveRun(
  runtime: LocalRuntime,
  tenantId: string,
  packageText: string,
): Promise<{ planId: string; runId: string }> {
  const base = `/tenants/${tenantId}`;
  await runtime.invokeApi('POST', `${base}/packages`, packageText);
  const plan = await runtime.invokeApi('POST', `${base}/retry-plans`, {});
  const planId: string = plan.body.planId;
  await runtime.invokeApi('POST', `${base}/worker-runs`, { planId });
  await runtime.drainRetries();
  const live = await runtime.invokeApi('POST', `${base}/worker-runs`, {
    planId,
    mode: 'live',
  });
  if (live.statusCode !== 202) {
    throw new Error(`live run of ${tenantId} returned ${live.statusCode}`);
  }
  return { planId, runId: live.body.runId };
}
