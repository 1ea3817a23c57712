import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertPublisher } from '../../lib/adapters/alert-publisher.ts';
import { awsClients } from '../../lib/adapters/aws-clients.ts';
import {
  type RetryMessage,
  RetryQueue,
} from '../../lib/adapters/retry-queue.ts';
import type { AlertPlan } from '../../lib/domain/alert-plan.ts';
import { lambdaContext } from '../../lib/local/lambda-events.ts';
import {
  type ProvisionedResources,
  provisionResources,
} from '../../lib/local/provision.ts';
import { drainQueue } from '../../lib/local/queue-poller.ts';
import {
  AlertPlanMessageSchema,
  SnsEnvelopeSchema,
} from '../../lib/operations/deliver-alert.ts';
import { defineService, type ServiceDefinition } from '../../lib/resources.ts';
import { randomStage } from '../support/stage.ts';

let definition: ServiceDefinition;
let resources: ProvisionedResources;

async function receiveAll(queueUrl: string) {
  const bodies: string[] = [];
  for (let round = 0; round < 10; round += 1) {
    const { Messages = [] } = await awsClients().sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) {
      break;
    }
    bodies.push(...Messages.map((message) => message.Body ?? ''));
  }
  return bodies;
}

function alertPlan(): AlertPlan {
  const alertPlanId = `ap-${randomUUID()}`;
  return {
    tenantId: 'tenant-messaging',
    alertPlanId,
    reportId: 'hr-messaging',
    kind: 'alert',
    dedupKey: 'dedup',
    routes: ['demo-non-production-webhook'],
    status: 'published',
    payload: {
      schema: 'closeout-health.alert.v1',
      alertPlanId,
      kind: 'alert',
      tenantId: 'tenant-messaging',
      reportId: 'hr-messaging',
      asOf: '2026-05-31T08:30:00.000Z',
      healthState: 'warning',
      counts: { critical: 0, warning: 1 },
      findings: [],
      releaseDecisions: [],
    },
    createdAt: '2026-05-31T08:30:01.000Z',
  };
}

beforeAll(async () => {
  definition = defineService(randomStage());
  resources = await provisionResources(awsClients(), definition);
});

describe('AlertPublisher', () => {
  it('delivers a published plan to the subscribed queue in an SNS envelope', async () => {
    const publisher = new AlertPublisher(
      awsClients().sns,
      resources.alertTopicArn,
    );
    const plan = alertPlan();

    await publisher.publish(plan);
    const bodies = await receiveAll(resources.alertDeliveryQueue.url);

    expect(bodies).toHaveLength(1);
    const envelope = SnsEnvelopeSchema.parse(JSON.parse(bodies[0] ?? ''));
    const received = AlertPlanMessageSchema.parse(JSON.parse(envelope.Message));
    expect(received.alertPlanId).toBe(plan.alertPlanId);
    expect(received.routes).toEqual(plan.routes);
  });
});

describe('RetryQueue', () => {
  it('sends more than one SQS batch of messages', async () => {
    const queue = new RetryQueue(awsClients().sqs, resources.retryQueue.url);
    const messages: RetryMessage[] = Array.from({ length: 12 }, (_, index) => ({
      tenantId: 'tenant-messaging',
      runId: 'wr-messaging',
      planId: 'rp-messaging',
      deliveryId: `delivery-${index}`,
      mode: 'dry_run',
      attempt: 2,
    }));

    await queue.send(messages);
    const bodies = await receiveAll(resources.retryQueue.url);

    const ids = bodies.map(
      (body) => (JSON.parse(body) as RetryMessage).deliveryId,
    );
    expect(ids.sort()).toEqual(
      messages.map((message) => message.deliveryId).sort(),
    );
  });
});

describe('drainQueue', () => {
  it('moves a poison message to the dead-letter queue after maxReceiveCount receives', async () => {
    const queue = new RetryQueue(
      awsClients().sqs,
      resources.alertDeliveryQueue.url,
    );
    await queue.send([
      {
        tenantId: 'poison',
        runId: 'wr',
        planId: 'rp',
        deliveryId: 'poison',
        mode: 'dry_run',
        attempt: 1,
      },
    ]);
    let receives = 0;

    await drainQueue({
      sqs: awsClients().sqs,
      queue: resources.alertDeliveryQueue,
      definition: definition.alertDeliveryQueue,
      consumer: definition.queueConsumer,
      context: () => lambdaContext('poison-test', 30),
      handler: async (event) => {
        receives += event.Records.length;
        return {
          batchItemFailures: event.Records.map((record) => ({
            itemIdentifier: record.messageId,
          })),
        };
      },
    });
    const deadLettered = await receiveAll(
      resources.alertDeliveryQueue.deadLetterUrl,
    );

    expect(receives).toBe(definition.alertDeliveryQueue.maxReceiveCount);
    expect(deadLettered).toHaveLength(1);
  });
});
