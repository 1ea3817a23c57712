/**
 * Benchmark of live redelivery: how many failed closeout deliveries the
 * retry worker redelivers per second against a local receiver, and how many
 * AWS requests each redelivered item costs.
 *
 *   npx tsx bench/redelivery-throughput.ts [--deliveries 200]
 *
 * Starts its own moto server on 127.0.0.1 unless AWS_ENDPOINT_URL is set.
 * Only the live phase is timed: imports, plans and dry runs come before it.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { MiddlewareStack } from '@smithy/types';
import type { AwsClients } from '../lib/adapters/aws-clients.ts';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../lib/local/local-runtime.ts';

const { values } = parseArgs({
  options: { deliveries: { type: 'string', default: '200' } },
});
const deliveries = Number.parseInt(values.deliveries, 10);

/** Counts every AWS request that the clients send, by service. */
function countRequests(clients: AwsClients): Map<string, number> {
  const counts = new Map<string, number>();
  const entries = [
    ['dynamodb', clients.dynamodb],
    ['sqs', clients.sqs],
    ['sns', clients.sns],
  ] as const;
  for (const [service, client] of entries) {
    const stack = client.middlewareStack as unknown as MiddlewareStack<
      object,
      object
    >;
    stack.add(
      (next) => async (args) => {
        counts.set(service, (counts.get(service) ?? 0) + 1);
        return next(args);
      },
      { step: 'finalizeRequest', name: `count-${service}-requests` },
    );
  }
  return counts;
}

async function prepare(runtime: LocalRuntime, packageText: string) {
  const runs: Array<{ tenantId: string; planId: string }> = [];
  for (let index = 0; index < deliveries; index += 1) {
    const tenantId = `bench-${randomBytes(5).toString('hex')}`;
    await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/packages`,
      packageText,
    );
    const plan = await runtime.invokeApi(
      'POST',
      `/tenants/${tenantId}/retry-plans`,
      {},
    );
    await runtime.invokeApi('POST', `/tenants/${tenantId}/worker-runs`, {
      planId: plan.body.planId,
    });
    runs.push({ tenantId, planId: plan.body.planId });
  }
  await runtime.drainRetries({ maxBatches: 10_000 });
  return runs;
}

const runtime = await startLocalRuntime({
  stage: `bench${randomBytes(3).toString('hex')}`,
});
try {
  const packageText = await readFile(
    'examples/cavra-sample-evidence-package.json',
    'utf8',
  );
  const runs = await prepare(runtime, packageText);
  for (const { tenantId, planId } of runs) {
    await runtime.invokeApi('POST', `/tenants/${tenantId}/worker-runs`, {
      planId,
      mode: 'live',
    });
  }

  const counts = countRequests(runtime.clients);
  const started = performance.now();
  const drained = await runtime.drainRetries({ maxBatches: 10_000 });
  const seconds = (performance.now() - started) / 1000;
  const delivered = runtime.receiver.requests.filter((request) =>
    String(request.headers['idempotency-key'] ?? '').startsWith('bench-'),
  ).length;

  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const perItem = (count: number) => (count / delivered).toFixed(1);
  console.log(
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  console.log(
    `endpoint: ${runtime.endpoint.owned ? 'moto server started by the benchmark' : runtime.endpoint.url}`,
  );
  console.log(
    `deliveries redelivered: ${delivered} of ${deliveries} in ${drained.batches} batches`,
  );
  console.log(
    `live phase: ${seconds.toFixed(2)} s, ${(delivered / seconds).toFixed(1)} deliveries/s`,
  );
  console.log(
    `AWS requests per redelivered item: ${perItem(total)} (${[...counts].map(([service, count]) => `${service} ${perItem(count)}`).join(', ')})`,
  );
} finally {
  await runtime.stop();
}
