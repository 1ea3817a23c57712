import { Stack } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * Actions that let the account manage the key. They are listed one by one
 * instead of `kms:*`, and `kms:PutKeyPolicy` among them lets an
 * administrator change this policy later.
 */
const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/**
 * Key actions that SNS and SQS perform for a producer or consumer: a data
 * key for each new message, and decryption of messages and cached keys.
 */
export const MESSAGE_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Creates the customer managed key of every topic and queue, with yearly
 * automatic rotation. IAM policies of the account can grant the
 * administration actions and {@link MESSAGE_KEY_ACTIONS}, but no other use
 * of the key, such as `kms:Encrypt` or `kms:CreateGrant`.
 */
export function createMessagingKey(scope: Construct, alias: string): Key {
  const account = new AccountRootPrincipal();
  const policy = new PolicyDocument({
    statements: [
      new PolicyStatement({
        sid: 'AllowKeyAdministrationByTheAccount',
        principals: [account],
        actions: KEY_ADMINISTRATION_ACTIONS,
        resources: ['*'],
      }),
      new PolicyStatement({
        sid: 'AllowMessageEncryptionThroughIam',
        principals: [account],
        actions: MESSAGE_KEY_ACTIONS,
        resources: ['*'],
      }),
    ],
  });

  return new Key(scope, 'MessagingKey', {
    alias,
    description: `Encrypts the topics and queues of ${Stack.of(scope).stackName}.`,
    enableKeyRotation: true,
    policy,
  });
}
