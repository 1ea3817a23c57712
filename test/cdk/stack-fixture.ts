/**
 * Builders and template helpers shared by the CDK tests.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { CloseoutHealthStack } from '../../cdk/closeout-health-stack.ts';
import {
  type DeploymentSettings,
  parseDeploymentSettings,
} from '../../cdk/context.ts';

export const STAGE = 'test';

/** Settings that every test stack needs, and nothing else. */
export const REQUIRED_SETTINGS = {
  stage: STAGE,
  jwt: {
    issuer: 'https://issuer.example.com/',
    audience: ['closeout-health-test'],
  },
};

/** Feature flags and other context from cdk.json, as `cdk synth` uses them. */
export function readProjectContext(): Record<string, unknown> {
  const cdkJson = new URL('../../cdk.json', import.meta.url);
  return JSON.parse(readFileSync(cdkJson, 'utf8')).context;
}

/** Returns checked settings: the required ones, changed by `overrides`. */
export function testSettings(
  overrides: Record<string, unknown> = {},
): DeploymentSettings {
  return parseDeploymentSettings({ ...REQUIRED_SETTINGS, ...overrides });
}

/**
 * Creates a stack in a new app with the project's feature flags.
 *
 * The built-in CloudFormation checks of `cdk synth` are off, because they
 * take seconds; `Template.fromStack` still rejects a dependency cycle.
 * Unless `bundle` is set, esbuild is skipped as well, which the tests of
 * the template do not need.
 */
export function createTestStack(
  settings: DeploymentSettings = testSettings(),
  options: { bundle?: boolean } = {},
): CloseoutHealthStack {
  const context = readProjectContext();
  if (!options.bundle) {
    // An empty list of bundling stacks skips esbuild.
    context['aws:cdk:bundling-stacks'] = [];
  }
  const app = new App({ context, builtinCloudFormationValidation: false });
  return new CloseoutHealthStack(app, 'CloseoutHealthStack', { settings });
}

/** Returns the logical id that a `Ref` or `Fn::GetAtt` value points to. */
export function referencedId(value: unknown): string | undefined {
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

/** A statement of an IAM policy, a key policy or a resource policy. */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

/** Collects the Allow statements of every policy document below a node. */
export function findAllowStatements(node: unknown): PolicyStatement[] {
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

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** Returns the logical id of the only queue named `queueName`. */
export function queueIdByName(template: Template, queueName: string): string {
  const queues = template.findResources('AWS::SQS::Queue', {
    Properties: { QueueName: queueName },
  });
  const [id] = Object.keys(queues);
  if (id === undefined) {
    throw new Error(`No queue named ${queueName} in the template.`);
  }
  return id;
}

/** Returns the Allow statements of the IAM policies attached to a role. */
export function roleStatements(
  template: Template,
  roleId: string | undefined,
): PolicyStatement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      policy.Properties.Roles.some(
        (role: unknown) => referencedId(role) === roleId,
      ),
    )
    .flatMap((policy) => findAllowStatements(policy.Properties));
}
