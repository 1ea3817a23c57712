/**
 * A retry worker in a process of its own, so that a test can kill it in
 * the middle of a batch. It inherits the local runtime's settings from the
 * environment and drains the queue named by `DRAIN_QUEUE`.
 */
import type { ProvisionedQueue } from '../../lib/local/provision.ts';

const { handler } = await import('../../functions/retry-delivery.ts');
const { drainQueue } = await import('../../lib/local/queue-poller.ts');
const { lambdaContext } = await import('../../lib/local/lambda-events.ts');
const { awsClients } = await import('../../lib/adapters/aws-clients.ts');
const { defineService } = await import('../../lib/resources.ts');

const queue = JSON.parse(process.env.DRAIN_QUEUE ?? '{}') as ProvisionedQueue;
const definition = defineService(process.env.DRAIN_STAGE ?? 'local');
const visibility = Number(process.env.DRAIN_VISIBILITY_SECONDS ?? 3);

await drainQueue({
  sqs: awsClients().sqs,
  queue,
  definition: definition.retryQueue,
  consumer: definition.queueConsumer,
  handler,
  context: () => lambdaContext('retry-worker-process', visibility - 1),
  visibilityTimeoutSeconds: visibility,
  releaseFailed: false,
  settleMs: 60_000,
});
