import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type {
  CloseoutHealthStack,
  ServiceFunctions,
} from '../../cdk/closeout-health-stack.ts';
import {
  asArray,
  createTestStack,
  findAllowStatements,
  type PolicyStatement,
  referencedId,
  roleStatements,
  testSettings,
} from './stack-fixture.ts';

const CONNECTORS = {
  grc: { type: 'webhook', secretName: 'closeout-health/test/grc' },
  chat: { type: 'slack', secretName: 'closeout-health/test/chat' },
  pager: { type: 'pagerduty', secretName: 'closeout-health/test/chat' },
};
const SECRET_NAMES = ['closeout-health/test/chat', 'closeout-health/test/grc'];
const FUNCTION_KEYS: Array<keyof ServiceFunctions> = [
  'evaluateHealth',
  'deliverAlert',
  'retryDelivery',
  'recordDeadLetter',
  'httpApi',
];

/**
 * Runs the cdk-nag AWS Solutions checks on a synthesized stack. cdk-nag 3
 * reports through CDK policy validation, not through annotations, so the
 * findings come from `validateScope`, which `cdk synth` also runs.
 */
function findingsOf(stack: Stack) {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map((violation) => ({
    rule: violation.ruleName,
    severity: violation.severity,
    resources: violation.violatingResources.map(
      (resource) => resource.resourceLogicalId,
    ),
  }));
}

/** Returns the actions of the statements, one entry per action. */
function actionsOf(statements: PolicyStatement[]): string[] {
  return statements.flatMap((statement) => asArray(statement.Action));
}

describe('CloseoutHealthStack security', () => {
  let stack: CloseoutHealthStack;
  let template: Template;

  function logicalId(construct: { node: { defaultChild?: unknown } }): string {
    return stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  function statementsOf(key: keyof ServiceFunctions): PolicyStatement[] {
    const fn = template.findResources('AWS::Lambda::Function')[
      logicalId(stack.functions[key])
    ];
    return roleStatements(template, referencedId(fn?.Properties.Role));
  }

  function functionsAllowedTo(action: string): Array<keyof ServiceFunctions> {
    return FUNCTION_KEYS.filter((key) =>
      actionsOf(statementsOf(key)).includes(action),
    );
  }

  beforeAll(() => {
    stack = createTestStack(testSettings({ connectors: CONNECTORS }));

    template = Template.fromStack(stack);
  });

  describe('policies', () => {
    it('allows no wildcard action in any policy', () => {
      const statements = findAllowStatements(template.toJSON());

      const wildcardActions = actionsOf(statements).filter((action) =>
        action.includes('*'),
      );

      expect(statements.length).toBeGreaterThan(0);
      expect(wildcardActions).toEqual([]);
    });

    it('scopes every IAM statement to named resources', () => {
      const policies = template.findResources('AWS::IAM::Policy');
      const statements = findAllowStatements(policies);

      const unscopedStatements = statements.filter((statement) =>
        asArray(statement.Resource).includes('*'),
      );

      expect(unscopedStatements).toEqual([]);
    });

    it('attaches no managed policy to any role', () => {
      template.allResourcesProperties('AWS::IAM::Role', {
        ManagedPolicyArns: Match.absent(),
      });
    });

    it.each(FUNCTION_KEYS)('lets %s write only its log group', (key) => {
      const logStatements = statementsOf(key).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('logs:')),
      );
      const fn = template.findResources('AWS::Lambda::Function')[
        logicalId(stack.functions[key])
      ];
      const logGroupId = referencedId(fn?.Properties.LoggingConfig.LogGroup);

      expect(logStatements).toEqual([
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        }),
      ]);
    });
  });

  describe('table access', () => {
    const tableArn = () => ({
      'Fn::GetAtt': [logicalId(stack.table), 'Arn'],
    });

    it.each(FUNCTION_KEYS)('grants %s the repository actions', (key) => {
      const tableStatements = statementsOf(key).filter(
        (statement) =>
          Match.exact(tableArn()).test(statement.Resource).isSuccess,
      );

      expect(actionsOf(tableStatements)).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:Query',
        ]),
      );
    });

    it('grants no scan, batch or stream action', () => {
      const dynamoActions = FUNCTION_KEYS.flatMap((key) =>
        actionsOf(statementsOf(key)),
      ).filter((action) => action.startsWith('dynamodb:'));

      const allowed = new Set([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ]);

      expect(dynamoActions.filter((action) => !allowed.has(action))).toEqual(
        [],
      );
    });

    it('lets only retry-delivery delete its idempotency records', () => {
      expect(functionsAllowedTo('dynamodb:DeleteItem')).toEqual([
        'retryDelivery',
      ]);
    });

    it('lets only evaluate-health query the tenant registry', () => {
      const indexArn = {
        'Fn::Join': ['', [tableArn(), '/index/gsi1']],
      };

      const readers = FUNCTION_KEYS.filter((key) =>
        statementsOf(key).some(
          (statement) =>
            Match.exact(indexArn).test(statement.Resource).isSuccess,
        ),
      );

      expect(readers).toEqual(['evaluateHealth']);
    });
  });

  describe('messaging access', () => {
    it('lets only evaluate-health publish alerts', () => {
      expect(functionsAllowedTo('sns:Publish')).toEqual(['evaluateHealth']);
    });

    it('lets http-api and retry-delivery send to the retry queue', () => {
      const retryQueueArn = {
        'Fn::GetAtt': [logicalId(stack.messaging.retryQueue), 'Arn'],
      };

      const senders = FUNCTION_KEYS.filter((key) =>
        statementsOf(key).some(
          (statement) =>
            actionsOf([statement]).includes('sqs:SendMessage') &&
            Match.exact(retryQueueArn).test(statement.Resource).isSuccess,
        ),
      );

      expect(senders).toEqual(['retryDelivery', 'httpApi']);
    });

    it('grants only data-key actions on the messaging key', () => {
      const keyActions = FUNCTION_KEYS.flatMap((key) =>
        actionsOf(statementsOf(key)),
      ).filter((action) => action.startsWith('kms:'));

      expect([...new Set(keyActions)].sort()).toEqual([
        'kms:Decrypt',
        'kms:GenerateDataKey',
      ]);
    });
  });

  describe('connector secrets', () => {
    it('lets only the senders read secrets', () => {
      expect(functionsAllowedTo('secretsmanager:GetSecretValue')).toEqual([
        'deliverAlert',
        'retryDelivery',
      ]);
    });

    it.each(['deliverAlert', 'retryDelivery'] as const)(
      'grants %s the secrets by name',
      (key) => {
        const secretResources = statementsOf(key)
          .filter((statement) =>
            actionsOf([statement]).includes('secretsmanager:GetSecretValue'),
          )
          .flatMap((statement) => asArray(statement.Resource));

        const secretNames = secretResources.map((resource) => {
          const parts = (resource as { 'Fn::Join': [string, unknown[]] })[
            'Fn::Join'
          ][1];
          return String(parts.at(-1));
        });

        expect(secretNames.sort()).toEqual(
          SECRET_NAMES.map((name) => `:secret:${name}-??????`),
        );
      },
    );

    it('passes secret references, never URLs, as CONNECTORS', () => {
      const fn = template.findResources('AWS::Lambda::Function')[
        logicalId(stack.functions.deliverAlert)
      ];

      const connectors = JSON.parse(
        fn?.Properties.Environment.Variables.CONNECTORS,
      );

      expect(connectors).toEqual(CONNECTORS);
    });
  });

  describe('messaging key', () => {
    it('rotates the key', () => {
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
      });
    });

    it('keeps the key when the stack is deleted', () => {
      template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    });

    it('encrypts every queue with the messaging key', () => {
      const keyArn = { 'Fn::GetAtt': [logicalId(stack.messagingKey), 'Arn'] };
      const queues = template.findResources('AWS::SQS::Queue');

      const otherwiseEncrypted = Object.entries(queues)
        .filter(
          ([, queue]) =>
            !Match.exact(keyArn).test(queue.Properties.KmsMasterKeyId)
              .isSuccess,
        )
        .map(([id]) => id);

      expect(Object.keys(queues)).toHaveLength(5);
      expect(otherwiseEncrypted).toEqual([]);
    });

    it('encrypts every topic with the messaging key', () => {
      const keyArn = { 'Fn::GetAtt': [logicalId(stack.messagingKey), 'Arn'] };
      const topics = template.findResources('AWS::SNS::Topic');

      const otherwiseEncrypted = Object.entries(topics)
        .filter(
          ([, topic]) =>
            !Match.exact(keyArn).test(topic.Properties.KmsMasterKeyId)
              .isSuccess,
        )
        .map(([id]) => id);

      expect(Object.keys(topics)).toHaveLength(2);
      expect(otherwiseEncrypted).toEqual([]);
    });

    it('denies publishing without TLS on every topic', () => {
      const topicIds = Object.keys(template.findResources('AWS::SNS::Topic'));
      const policies = template.findResources('AWS::SNS::TopicPolicy', {
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

      const protectedTopicIds = Object.values(policies).flatMap((policy) =>
        policy.Properties.Topics.map(referencedId),
      );

      expect(protectedTopicIds.sort()).toEqual(topicIds.sort());
    });

    it.each([
      'sns.amazonaws.com',
      'events.amazonaws.com',
      'cloudwatch.amazonaws.com',
    ])('lets %s use the key for messages', (service) => {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: service },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            }),
          ]),
        },
      });
    });

    it('lets SNS use the key only for the alert topic', () => {
      const statements = findAllowStatements(
        template.findResources('AWS::KMS::Key'),
      ).filter(
        (statement) =>
          Match.exact({ Service: 'sns.amazonaws.com' }).test(
            statement.Principal,
          ).isSuccess,
      );

      expect(statements).toEqual([
        expect.objectContaining({
          Condition: {
            ArnEquals: {
              'aws:SourceArn': {
                'Fn::Join': [
                  '',
                  expect.arrayContaining([':closeout-health-test-alerts']),
                ],
              },
            },
          },
        }),
      ]);
    });
  });

  describe('cdk-nag AWS Solutions checks', () => {
    it('report no finding on the stack', () => {
      const findings = findingsOf(stack);

      expect(findings).toEqual([]);
    });

    it('report an unencrypted queue without a dead-letter queue', () => {
      const plainStack = new Stack();
      new Queue(plainStack, 'Plain', {
        encryption: QueueEncryption.UNENCRYPTED,
        enforceSSL: true,
      });
      Template.fromStack(plainStack);

      const rules = findingsOf(plainStack).map((finding) => finding.rule);

      expect(rules).toEqual(
        expect.arrayContaining(['AwsSolutions-SQS2', 'AwsSolutions-SQS3']),
      );
    });
  });

  // cdk-nag 3 adds no annotation, so these cover the messages of CDK itself,
  // such as warnings about deprecated APIs.
  describe('CDK annotations of the stack', () => {
    it('contain no error', () => {
      const errors = Annotations.fromStack(stack).findError(
        '*',
        Match.anyValue(),
      );

      expect(errors).toEqual([]);
    });

    it('contain no warning', () => {
      const warnings = Annotations.fromStack(stack).findWarning(
        '*',
        Match.anyValue(),
      );

      expect(warnings).toEqual([]);
    });
  });
});
