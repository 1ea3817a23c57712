import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineService } from '#lib/resources.ts';
import type {
  CloseoutHealthStack,
  ServiceFunctions,
} from '../../cdk/closeout-health-stack.ts';
import { HTTP_API_ROUTES } from '../../cdk/http-api.ts';
import {
  asArray,
  createTestStack,
  queueIdByName,
  REQUIRED_SETTINGS,
  referencedId,
  STAGE,
  testSettings,
} from './stack-fixture.ts';

const SERVICE = defineService(STAGE);
const FUNCTION_KEYS = Object.keys(SERVICE.functions) as Array<
  keyof ServiceFunctions
>;
const QUEUES = [SERVICE.alertDeliveryQueue, SERVICE.retryQueue];
const ROUTE_KEYS = HTTP_API_ROUTES.map(
  (route) => `${route.method} ${route.path}`,
);
// Bundling five functions can exceed the 10 s default hook timeout of vitest.
const SYNTH_TIMEOUT_MS = 120_000;

describe('CloseoutHealthStack', () => {
  let stack: CloseoutHealthStack;
  let template: Template;

  function logicalId(construct: IConstruct): string {
    return stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  function functionId(key: keyof ServiceFunctions): string {
    return logicalId(stack.functions[key]);
  }

  function functionProperties(key: keyof ServiceFunctions) {
    const resources = template.findResources('AWS::Lambda::Function');
    return resources[functionId(key)]?.Properties;
  }

  function readBundle(key: keyof ServiceFunctions, file: string): string {
    const assetHash = path.basename(
      functionProperties(key)?.Code.S3Key,
      '.zip',
    );
    const outdir = (stack.node.root as App).outdir;
    return path.join(outdir, `asset.${assetHash}`, file);
  }

  beforeAll(() => {
    stack = createTestStack(undefined, { bundle: true });

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

    it('enables deletion protection', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        DeletionProtectionEnabled: true,
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

    it('keeps the construct id EvidenceTable', () => {
      const id = logicalId(stack.table);

      expect(id).toMatch(/^EvidenceTable[0-9A-F]{8}$/);
    });
  });

  describe('alert topic', () => {
    it('uses the name from the definition', () => {
      template.hasResourceProperties('AWS::SNS::Topic', {
        TopicName: SERVICE.alertTopicName,
      });
    });

    it('delivers SNS envelopes to the alert-delivery queue', () => {
      const queueId = queueIdByName(template, SERVICE.alertDeliveryQueue.name);

      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'sqs',
        Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
        TopicArn: {
          'Fn::Join': ['', Match.arrayWith([`:${SERVICE.alertTopicName}`])],
        },
        RawMessageDelivery: false,
      });
    });

    it('subscribes only after the topic exists', () => {
      const topicId = logicalId(stack.messaging.alertTopic);

      template.hasResource('AWS::SNS::Subscription', {
        DependsOn: Match.arrayWith([topicId]),
      });
    });

    it('keeps the construct ids of topic and queues', () => {
      const ids = [
        stack.messaging.alertTopic,
        stack.messaging.alertDeliveryQueue,
        stack.messaging.alertDeliveryDeadLetterQueue,
        stack.messaging.retryQueue,
        stack.messaging.retryDeadLetterQueue,
      ].map((construct) => construct.node.id);

      expect(ids).toEqual([
        'AlertTopic',
        'AlertDeliveryQueue',
        'AlertDeliveryQueueDeadLetterQueue',
        'RetryQueue',
        'RetryQueueDeadLetterQueue',
      ]);
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

    it.each(QUEUES)('configures $deadLetterQueueName', (queue) => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: queue.deadLetterQueueName,
        VisibilityTimeout: queue.deadLetterVisibilityTimeoutSeconds,
        MessageRetentionPeriod: queue.retentionSeconds,
      });
    });

    it.each(QUEUES)(
      'redrives $name after maxReceiveCount receives',
      (queue) => {
        const deadLetterQueueId = queueIdByName(
          template,
          queue.deadLetterQueueName,
        );

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
      const deadLetterQueueIds = new Set([
        ...Object.values(queues).map((queue) =>
          referencedId(queue.Properties.RedrivePolicy?.deadLetterTargetArn),
        ),
        queueIdByName(template, SERVICE.scheduleDeadLetterQueueName),
      ]);

      const queuesWithoutRedrive = Object.entries(queues)
        .filter(([id]) => !deadLetterQueueIds.has(id))
        .filter(([, queue]) => !queue.Properties.RedrivePolicy)
        .map(([id]) => id);

      expect(queuesWithoutRedrive).toEqual([]);
    });

    it('creates the schedule dead-letter queue', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: SERVICE.scheduleDeadLetterQueueName,
      });
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

      expect(Object.keys(mappings)).toHaveLength(3);
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
      { queue: SERVICE.alertDeliveryQueue.name, consumer: 'deliverAlert' },
      { queue: SERVICE.retryQueue.name, consumer: 'retryDelivery' },
      {
        queue: SERVICE.retryQueue.deadLetterQueueName,
        consumer: 'recordDeadLetter',
      },
    ] as const)('feeds $queue to $consumer', ({ queue, consumer }) => {
      const queueId = queueIdByName(template, queue);

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
    it('creates one function per definition entry', () => {
      const functions = template.findResources('AWS::Lambda::Function');

      expect(Object.keys(functions)).toHaveLength(FUNCTION_KEYS.length);
    });

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
      const bundle = readFileSync(readBundle(key, 'index.mjs'), 'utf8');

      expect(bundle).toMatch(
        /^import \{ createRequire as (\w+) \} from 'node:module';const require = \1\(import\.meta\.url\);/,
      );
    });

    it.each(FUNCTION_KEYS)('bundles the AWS SDK into %s', (key) => {
      const bundle = readFileSync(readBundle(key, 'index.mjs'), 'utf8');

      expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
    });

    it.each(FUNCTION_KEYS)('ships a source map with %s', (key) => {
      const sourceMap = readBundle(key, 'index.mjs.map');

      expect(existsSync(sourceMap)).toBe(true);
    });

    it.each(FUNCTION_KEYS)('logs %s to a group kept one month', (key) => {
      const logGroupId = referencedId(
        functionProperties(key)?.LoggingConfig?.LogGroup,
      );

      const logGroups = template.findResources('AWS::Logs::LogGroup');

      expect(logGroups[logGroupId ?? '']?.Properties.RetentionInDays).toBe(30);
    });

    it.each(FUNCTION_KEYS)('sets the Powertools settings of %s', (key) => {
      const variables = functionProperties(key)?.Environment.Variables;

      expect(variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'closeout-health',
        POWERTOOLS_METRICS_NAMESPACE: 'CloseoutHealth',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it.each(FUNCTION_KEYS)('passes shared settings to %s', (key) => {
      const variables = functionProperties(key)?.Environment.Variables;

      expect(variables).toMatchObject({
        TABLE_NAME: { Ref: logicalId(stack.table) },
        EVALUATION_ZONE: 'UTC',
        WARNING_DAYS: '30',
        CRITICAL_DAYS: '7',
      });
    });

    it.each([
      { variable: 'ALERT_TOPIC_ARN', owners: ['evaluateHealth'] },
      { variable: 'RETRY_QUEUE_URL', owners: ['retryDelivery', 'httpApi'] },
      { variable: 'CONNECTORS', owners: ['deliverAlert', 'retryDelivery'] },
    ] as const)('passes $variable only to $owners', ({ variable, owners }) => {
      const functions = template.findResources('AWS::Lambda::Function');

      const receivers = Object.entries(functions)
        .filter(([, fn]) => variable in fn.Properties.Environment.Variables)
        .map(([id]) => id);

      expect(receivers.sort()).toEqual(owners.map(functionId).sort());
    });

    it('passes no tenant list when every tenant is evaluated', () => {
      const variables =
        functionProperties('evaluateHealth')?.Environment.Variables;

      expect(variables).not.toHaveProperty('TENANTS');
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

    it('retries a failed invocation twice within an hour', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            RetryPolicy: {
              MaximumRetryAttempts: 2,
              MaximumEventAgeInSeconds: 3600,
            },
          }),
        ],
      });
    });

    it('sends undelivered events to the schedule dead-letter queue', () => {
      const queueId = queueIdByName(
        template,
        SERVICE.scheduleDeadLetterQueueName,
      );

      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          }),
        ],
      });
    });

    it('sends failed evaluations to the schedule dead-letter queue', () => {
      const queueId = queueIdByName(
        template,
        SERVICE.scheduleDeadLetterQueueName,
      );

      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId('evaluateHealth') },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      });
    });

    it('lets only the rule send to the schedule dead-letter queue', () => {
      const queueId = queueIdByName(
        template,
        SERVICE.scheduleDeadLetterQueueName,
      );

      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: {
                ArnEquals: {
                  'aws:SourceArn': {
                    'Fn::GetAtt': [
                      Match.stringLikeRegexp('^Evaluation'),
                      'Arn',
                    ],
                  },
                },
              },
            }),
          ]),
        },
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

    it.each(ROUTE_KEYS)('requires a JWT on %s', (routeKey) => {
      const authorizerId = Object.keys(
        template.findResources('AWS::ApiGatewayV2::Authorizer'),
      )[0];

      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    });

    it('checks issuer and audience from the settings', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Issuer: REQUIRED_SETTINGS.jwt.issuer,
          Audience: REQUIRED_SETTINGS.jwt.audience,
        },
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

    it('throttles the default stage with the default limits', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        },
      });
    });

    it('writes access logs to a group kept one month', () => {
      const stages = template.findResources('AWS::ApiGatewayV2::Stage');
      const [stage] = Object.values(stages);
      const logGroupId = referencedId(
        stage?.Properties.AccessLogSettings?.DestinationArn,
      );

      const logGroups = template.findResources('AWS::Logs::LogGroup');

      expect(logGroups[logGroupId ?? '']?.Properties.RetentionInDays).toBe(30);
    });

    it('logs the caller and the outcome of each request', () => {
      const stages = template.findResources('AWS::ApiGatewayV2::Stage');
      const [stage] = Object.values(stages);

      const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);

      expect(format).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        subject: '$context.authorizer.claims.sub',
      });
    });
  });
});

const CUSTOM_SETTINGS = testSettings({
  schedule: 'cron(0 6 * * ? *)',
  zone: 'Europe/Berlin',
  warningDays: 21,
  criticalDays: 3,
  tenants: ['cavra-demo', 'acme'],
  jwt: {
    issuer: 'http://127.0.0.1:4566/realms/closeout',
    audience: ['console', 'ci'],
  },
  throttling: { rateLimit: 7, burstLimit: 11 },
});

describe('CloseoutHealthStack with deployment settings', () => {
  let stack: CloseoutHealthStack;
  let template: Template;

  function variablesOf(key: keyof CloseoutHealthStack['functions']) {
    const id = stack.getLogicalId(
      stack.functions[key].node.defaultChild as CfnElement,
    );
    const functions = template.findResources('AWS::Lambda::Function');
    return functions[id]?.Properties.Environment.Variables;
  }

  beforeAll(() => {
    stack = createTestStack(CUSTOM_SETTINGS);

    template = Template.fromStack(stack);
  });

  it('runs the evaluation on the schedule setting', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
    });
  });

  it('passes zone and windows to every function', () => {
    for (const key of Object.keys(stack.functions)) {
      expect(variablesOf(key as keyof typeof stack.functions)).toMatchObject({
        EVALUATION_ZONE: 'Europe/Berlin',
        WARNING_DAYS: '21',
        CRITICAL_DAYS: '3',
      });
    }
  });

  it('passes the tenant list to evaluate-health', () => {
    expect(variablesOf('evaluateHealth')).toMatchObject({
      TENANTS: 'cavra-demo,acme',
    });
  });

  it('passes the tenant list to no other function', () => {
    const receivers = Object.keys(stack.functions).filter(
      (key) => 'TENANTS' in variablesOf(key as keyof typeof stack.functions),
    );

    expect(receivers).toEqual(['evaluateHealth']);
  });

  it('checks tokens of the issuer and audience setting', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: {
        Issuer: 'http://127.0.0.1:4566/realms/closeout',
        Audience: ['console', 'ci'],
      },
    });
  });

  it('throttles the stage with the throttling setting', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: {
        ThrottlingRateLimit: 7,
        ThrottlingBurstLimit: 11,
      },
    });
  });

  it('grants no secret without connectors', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));

    expect(policies).not.toContain('secretsmanager:');
  });
});
