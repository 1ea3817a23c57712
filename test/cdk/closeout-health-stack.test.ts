import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineService } from '#lib/resources.ts';
import type { ServiceFunctions } from '../../cdk/closeout-health-stack.ts';
import { CloseoutHealthStack } from '../../cdk/closeout-health-stack.ts';
import { HTTP_API_ROUTES } from '../../cdk/http-api.ts';

const STAGE = 'test';
const SERVICE = defineService(STAGE);
const CONNECTORS = {
  grc: { type: 'webhook', url: 'https://grc.example.com/hooks/closeout' },
};
const FUNCTION_KEYS = Object.keys(SERVICE.functions) as Array<
  keyof ServiceFunctions
>;
const QUEUES = [SERVICE.alertDeliveryQueue, SERVICE.retryQueue];
const ROUTE_KEYS = HTTP_API_ROUTES.map(
  (route) => `${route.method} ${route.path}`,
);
// Bundling four functions can exceed the 10 s default hook timeout of vitest.
const SYNTH_TIMEOUT_MS = 120_000;

/** Feature flags and other context from cdk.json, as `cdk synth` uses them. */
function readProjectContext(): Record<string, unknown> {
  const cdkJson = new URL('../../cdk.json', import.meta.url);
  return JSON.parse(readFileSync(cdkJson, 'utf8')).context;
}

/** Returns the logical id that a `Ref` or `Fn::GetAtt` value points to. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  if ('Ref' in value && typeof value.Ref === 'string') {
    return value.Ref;
  }
  if ('Fn::GetAtt' in value && Array.isArray(value['Fn::GetAtt'])) {
    return value['Fn::GetAtt'][0];
  }
  return undefined;
}

/** A statement of an IAM policy or a resource policy. */
interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
}

/** Collects the Allow statements of every policy document below a node. */
function findAllowStatements(node: unknown): PolicyStatement[] {
  if (Array.isArray(node)) {
    return node.flatMap(findAllowStatements);
  }
  if (typeof node !== 'object' || node === null) {
    return [];
  }
  const nested = Object.values(node).flatMap(findAllowStatements);
  if ('Effect' in node && node.Effect === 'Allow') {
    return [node as PolicyStatement, ...nested];
  }
  return nested;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

describe('CloseoutHealthStack', () => {
  let app: App;
  let stack: CloseoutHealthStack;
  let template: Template;

  function logicalId(construct: IConstruct): string {
    return stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  function functionId(key: keyof ServiceFunctions): string {
    return logicalId(stack.functions[key]);
  }

  function queueIdByName(queueName: string): string {
    const queues = template.findResources('AWS::SQS::Queue', {
      Properties: { QueueName: queueName },
    });
    const [id] = Object.keys(queues);
    if (id === undefined) {
      throw new Error(`No queue named ${queueName} in the template.`);
    }
    return id;
  }

  function functionProperties(key: keyof ServiceFunctions) {
    const resources = template.findResources('AWS::Lambda::Function');
    return resources[functionId(key)]?.Properties;
  }

  beforeAll(() => {
    app = new App({ context: readProjectContext() });

    stack = new CloseoutHealthStack(app, 'CloseoutHealthStack', {
      stage: STAGE,
      connectors: CONNECTORS,
    });

    template = Template.fromStack(stack);
  }, SYNTH_TIMEOUT_MS);

  describe('table', () => {
    it('uses the name from the definition', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: SERVICE.tableName,
      });
    });

    it('keeps the table when the stack is deleted', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('enables point-in-time recovery', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('expires items by the expiration attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      });
    });

    it('bills per request', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('keys items by pk and sk', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      });
    });

    it('indexes gsi1 by gsi1pk and gsi1sk', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
          }),
        ],
      });
    });
  });

  describe('alert topic', () => {
    it('uses the name from the definition', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: SERVICE.alertTopicName,
      });
    });

    it('delivers SNS envelopes to the alert-delivery queue', () => {
      const queueId = queueIdByName(SERVICE.alertDeliveryQueue.name);

      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
        TopicArn: { Ref: logicalId(stack.alertTopic) },
        RawMessageDelivery: false,
      });
    });
  });

  describe('queues', () => {
    it.each(QUEUES)('configures $name from the definition', (queue) => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: queue.name,
        VisibilityTimeout: queue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queue.retentionSeconds,
      });
    });

    it.each(QUEUES)(
      'redrives $name after maxReceiveCount receives',
      (queue) => {
        const deadLetterQueueId = queueIdByName(queue.deadLetterQueueName);

        template.hasResourceProperties('AWS::SQS::Queue', {
          QueueName: queue.name,
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
            maxReceiveCount: queue.maxReceiveCount,
          },
        });
      },
    );

    it('gives every queue except dead-letter queues a redrive policy', () => {
      const queues = template.findResources('AWS::SQS::Queue');
      const deadLetterQueueIds = new Set(
        Object.values(queues).map((queue) =>
          referencedId(queue.Properties.RedrivePolicy?.deadLetterTargetArn),
        ),
      );

      const queuesWithoutRedrive = Object.entries(queues)
        .filter(([id]) => !deadLetterQueueIds.has(id))
        .filter(([, queue]) => !queue.Properties.RedrivePolicy)
        .map(([id]) => id);

      expect(queuesWithoutRedrive).toEqual([]);
    });

    it('encrypts every queue with SQS-managed keys', () => {
      const queues = template.findResources('AWS::SQS::Queue');

      const unencryptedQueues = Object.entries(queues)
        .filter(([, queue]) => queue.Properties.SqsManagedSseEnabled !== true)
        .map(([id]) => id);

      expect(unencryptedQueues).toEqual([]);
    });

    it('denies requests without TLS on every queue', () => {
      const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));
      const policies = template.findResources('AWS::SQS::QueuePolicy', {
        Properties: {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        },
      });

      const protectedQueueIds = Object.values(policies).flatMap((policy) =>
        policy.Properties.Queues.map(referencedId),
      );

      expect(protectedQueueIds.sort()).toEqual(queueIds.sort());
    });
  });

  describe('event source mappings', () => {
    it('reports batch item failures on every mapping', () => {
      const mappings = template.findResources(
        'AWS::Lambda::EventSourceMapping',
      );

      const mappingsWithoutPartialBatches = Object.entries(mappings)
        .filter(
          ([, mapping]) =>
            !asArray(mapping.Properties.FunctionResponseTypes).includes(
              'ReportBatchItemFailures',
            ),
        )
        .map(([id]) => id);

      expect(mappingsWithoutPartialBatches).toEqual([]);
    });

    it('sets visibility to 6x consumer timeout or more', () => {
      const mappings = template.findResources(
        'AWS::Lambda::EventSourceMapping',
      );
      const queues = template.findResources('AWS::SQS::Queue');
      const functions = template.findResources('AWS::Lambda::Function');

      const shortVisibilityTimeouts = Object.values(mappings)
        .map((mapping) => {
          const queueId = referencedId(mapping.Properties.EventSourceArn);
          const functionId = referencedId(mapping.Properties.FunctionName);
          return {
            queueId,
            visibilityTimeout:
              queues[queueId ?? '']?.Properties.VisibilityTimeout,
            functionTimeout: functions[functionId ?? '']?.Properties.Timeout,
          };
        })
        .filter(
          (pair) => !(pair.visibilityTimeout >= 6 * pair.functionTimeout),
        );

      expect(shortVisibilityTimeouts).toEqual([]);
    });

    it.each([
      { queue: SERVICE.alertDeliveryQueue, consumer: 'deliverAlert' },
      { queue: SERVICE.retryQueue, consumer: 'retryDelivery' },
    ] as const)('feeds $queue.name to $consumer', ({ queue, consumer }) => {
      const queueId = queueIdByName(queue.name);

      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FunctionName: { Ref: functionId(consumer) },
        BatchSize: SERVICE.queueConsumer.batchSize,
        MaximumBatchingWindowInSeconds:
          SERVICE.queueConsumer.maxBatchingWindowSeconds,
      });
    });
  });

  describe('functions', () => {
    it.each(FUNCTION_KEYS)('runs %s on nodejs22.x', (key) => {
      const properties = functionProperties(key);

      expect(properties?.Runtime).toBe('nodejs22.x');
    });

    it.each(FUNCTION_KEYS)('runs %s on arm64', (key) => {
      const properties = functionProperties(key);

      expect(properties?.Architectures).toEqual(['arm64']);
    });

    it.each(FUNCTION_KEYS)('sizes %s from the definition', (key) => {
      const definition = SERVICE.functions[key];

      const properties = functionProperties(key);

      expect({
        timeout: properties?.Timeout,
        memory: properties?.MemorySize,
      }).toEqual({
        timeout: definition.timeoutSeconds,
        memory: definition.memoryMiB,
      });
    });

    it.each(FUNCTION_KEYS)('bundles %s as ESM that defines require', (key) => {
      const assetHash = path.basename(
        functionProperties(key)?.Code.S3Key,
        '.zip',
      );

      const bundle = path.join(app.outdir, `asset.${assetHash}`, 'index.mjs');

      expect(readFileSync(bundle, 'utf8')).toMatch(
        /^import \{ createRequire as (\w+) \} from 'node:module';const require = \1\(import\.meta\.url\);/,
      );
    });

    it.each(FUNCTION_KEYS)('ships a source map with %s', (key) => {
      const assetHash = path.basename(
        functionProperties(key)?.Code.S3Key,
        '.zip',
      );

      const sourceMap = path.join(
        app.outdir,
        `asset.${assetHash}`,
        'index.mjs.map',
      );

      expect(existsSync(sourceMap)).toBe(true);
    });

    it.each(FUNCTION_KEYS)('logs %s to a group kept one month', (key) => {
      const logGroupId = referencedId(
        functionProperties(key)?.LoggingConfig?.LogGroup,
      );

      const logGroups = template.findResources('AWS::Logs::LogGroup');

      expect(logGroups[logGroupId ?? '']?.Properties.RetentionInDays).toBe(30);
    });

    it.each(FUNCTION_KEYS)('passes shared settings to %s', (key) => {
      const variables = functionProperties(key)?.Environment.Variables;

      expect(variables).toMatchObject({
        TABLE_NAME: { Ref: logicalId(stack.table) },
        EVALUATION_ZONE: 'UTC',
        WARNING_DAYS: '30',
        CRITICAL_DAYS: '7',
        POWERTOOLS_SERVICE_NAME: 'closeout-health',
        POWERTOOLS_METRICS_NAMESPACE: 'CloseoutHealth',
        CONNECTORS: JSON.stringify(CONNECTORS),
      });
    });

    it.each([
      { variable: 'ALERT_TOPIC_ARN', owner: 'evaluateHealth' },
      { variable: 'RETRY_QUEUE_URL', owner: 'httpApi' },
    ] as const)('passes $variable only to $owner', ({ variable, owner }) => {
      const functions = template.findResources('AWS::Lambda::Function');

      const receivers = Object.entries(functions)
        .filter(([, fn]) => variable in fn.Properties.Environment.Variables)
        .map(([id]) => id);

      expect(receivers).toEqual([functionId(owner)]);
    });
  });

  describe('evaluation schedule', () => {
    it('invokes evaluate-health on the definition schedule', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: SERVICE.evaluationSchedule,
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionId('evaluateHealth'), 'Arn'] },
          }),
        ],
      });
    });

    it('lets EventBridge invoke evaluate-health', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: {
          'Fn::GetAtt': [functionId('evaluateHealth'), 'Arn'],
        },
      });
    });
  });

  describe('HTTP API', () => {
    it.each(ROUTE_KEYS)('routes %s', (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
      });
    });

    it.each(ROUTE_KEYS)('requires IAM authorization on %s', (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'AWS_IAM',
      });
    });

    it('serves only the expected routes', () => {
      const routes = template.findResources('AWS::ApiGatewayV2::Route');

      const routeKeys = Object.values(routes).map(
        (route) => route.Properties.RouteKey,
      );

      expect(routeKeys.sort()).toEqual([...ROUTE_KEYS].sort());
    });

    it('integrates http-api with payload format 2.0', () => {
      template.allResourcesProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [functionId('httpApi'), 'Arn'] },
        PayloadFormatVersion: '2.0',
      });
    });
  });

  describe('IAM', () => {
    function roleOf(key: keyof ServiceFunctions): string | undefined {
      return referencedId(functionProperties(key)?.Role);
    }

    function rolesAllowedTo(action: string): Array<string | undefined> {
      const policies = template.findResources('AWS::IAM::Policy');
      return Object.values(policies)
        .filter((policy) =>
          findAllowStatements(policy).some((statement) =>
            asArray(statement.Action).includes(action),
          ),
        )
        .flatMap((policy) => policy.Properties.Roles.map(referencedId));
    }

    it('allows no wildcard actions', () => {
      const statements = findAllowStatements(template.toJSON());

      const wildcardActions = statements
        .flatMap((statement) => asArray(statement.Action))
        .filter((action) => action === '*' || action.endsWith(':*'));

      expect(wildcardActions).toEqual([]);
    });

    it('scopes every allow statement to named resources', () => {
      const statements = findAllowStatements(template.toJSON());

      const unscopedStatements = statements.filter((statement) =>
        asArray(statement.Resource).includes('*'),
      );

      expect(unscopedStatements).toEqual([]);
    });

    it('lets only evaluate-health publish alerts', () => {
      expect(rolesAllowedTo('sns:Publish')).toEqual([roleOf('evaluateHealth')]);
    });

    it('lets only http-api send queue messages', () => {
      expect(rolesAllowedTo('sqs:SendMessage')).toEqual([roleOf('httpApi')]);
    });

    it.each(FUNCTION_KEYS)('lets %s read and write the table', (key) => {
      expect(rolesAllowedTo('dynamodb:PutItem')).toContain(roleOf(key));
    });
  });
});

describe('CloseoutHealthStack without bundling', () => {
  function createApp(): App {
    // An empty list of bundling stacks skips esbuild, which these tests
    // do not need.
    return new App({
      context: { ...readProjectContext(), 'aws:cdk:bundling-stacks': [] },
    });
  }

  it('defaults CONNECTORS to an empty object', () => {
    const stack = new CloseoutHealthStack(createApp(), 'Stack', {
      stage: STAGE,
    });

    const template = Template.fromStack(stack);

    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONNECTORS: '{}' }) },
    });
  });

  it('rejects an invalid stage name', () => {
    const app = createApp();

    const createStack = () =>
      new CloseoutHealthStack(app, 'Stack', { stage: 'Prod' });

    expect(createStack).toThrow(/Invalid stage "Prod"/);
  });
});
