/**
 * Deploys the CDK stack to a local AWS endpoint for the deployed-stack test.
 * The endpoint is MiniStack on 127.0.0.1 unless `AWS_ENDPOINT_URL` names
 * another one. Around the stack run an OIDC issuer for the JWT authorizer
 * and a webhook receiver, which the connector secret points at.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

import { startMiniStack } from '#lib/local/ministack.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '#lib/local/webhook-receiver.ts';
import {
  defineService,
  type ServiceDefinition,
  TABLE_KEYS,
} from '#lib/resources.ts';
import {
  bootstrap,
  type CdkTarget,
  deploy,
  destroy,
  LOCAL_REGION,
} from './cdk-cli.ts';
import type { Cleanup } from './cleanup.ts';
import {
  type DeployedApi,
  deployedApi,
  findHttpApiId,
} from './deployed-api.ts';
import { saveFunctionLogs } from './function-logs.ts';
import { type OidcIssuer, startOidcIssuer } from './oidc-issuer.ts';
import { progress } from './progress.ts';

/** Connector route of the sample package's alerts and deliveries. */
export const CONNECTOR_ROUTE = 'demo-non-production-webhook';
/** Bearer token that the connector secret adds to every request it sends. */
export const CONNECTOR_TOKEN = `e2e-${randomBytes(8).toString('hex')}`;
const AUDIENCE = 'closeout-health-e2e';

/** AWS SDK clients of the test, bound to the local endpoint. */
export interface LocalClients {
  cloudFormation: CloudFormationClient;
  cloudWatch: CloudWatchClient;
  cloudWatchLogs: CloudWatchLogsClient;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** A deployed stage and everything around it. */
export interface LocalDeployment {
  endpoint: string;
  service: ServiceDefinition;
  stackName: string;
  /** Outputs of the stack, such as `OperationsTopicArn`. */
  outputs: Record<string, string>;
  connectorSecretName: string;
  clients: LocalClients;
  issuer: OidcIssuer;
  receiver: WebhookReceiver;
  api: DeployedApi;
  /**
   * Runs `cdk destroy` now. Cleanup then only deletes the table that the
   * stack keeps.
   */
  destroyStack(): Promise<void>;
}

function localClients(endpoint: string): LocalClients {
  const config = {
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return {
    cloudFormation: new CloudFormationClient(config),
    cloudWatch: new CloudWatchClient(config),
    cloudWatchLogs: new CloudWatchLogsClient(config),
    dynamodb: new DynamoDBClient(config),
    secretsManager: new SecretsManagerClient(config),
  };
}

/** Returns the configured endpoint, or starts MiniStack and returns its URL. */
async function startEndpoint(cleanup: Cleanup): Promise<string> {
  const configured = process.env.AWS_ENDPOINT_URL;
  if (configured) {
    progress(`using the endpoint ${configured} from AWS_ENDPOINT_URL`);
    return configured;
  }
  progress('starting MiniStack');
  const miniStack = await startMiniStack();
  progress(`MiniStack is ready at ${miniStack.url}`);
  cleanup.add('stopping MiniStack', async ({ failed }) => {
    await miniStack.stop({ keepLog: failed });
    if (failed) {
      progress(`MiniStack's own log: ${miniStack.logFile}`);
    }
  });
  return miniStack.url;
}

/**
 * Stores the connector's URL and headers as the JSON secret that the
 * functions read, pointing at the local receiver.
 */
async function createConnectorSecret(
  clients: LocalClients,
  name: string,
  receiver: WebhookReceiver,
): Promise<void> {
  await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: name,
      Description: 'Webhook connector of the deployed-stack test.',
      SecretString: JSON.stringify({
        url: `${receiver.url}/hooks/${CONNECTOR_ROUTE}`,
        headers: { authorization: `Bearer ${CONNECTOR_TOKEN}` },
      }),
    }),
  );
}

/**
 * Turns on TTL of the evidence table unless the deployment already did.
 *
 * NOTE: MiniStack 1.5.33 ignores `TimeToLiveSpecification` in CloudFormation
 * templates. So this step applies the stack's TTL attribute itself, and the
 * test checks the result with DescribeTimeToLive.
 */
async function enableTimeToLive(clients: LocalClients, tableName: string) {
  const current = await clients.dynamodb.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  if (current.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED') {
    return;
  }
  progress(`enabling TTL on ${tableName}, which the emulator skipped`);
  await clients.dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: {
        AttributeName: TABLE_KEYS.timeToLive,
        Enabled: true,
      },
    }),
  );
}

/**
 * Starts the endpoint and the local servers, deploys a new random stage and
 * registers every step that undoes this with `cleanup`.
 */
export async function deployLocally(
  cleanup: Cleanup,
): Promise<LocalDeployment> {
  const endpoint = await startEndpoint(cleanup);
  const clients = localClients(endpoint);
  const stage = `e2e${randomBytes(4).toString('hex')}`;
  const service = defineService(stage);
  const stackName = `closeout-health-${stage}`;

  const receiver = await startWebhookReceiver();
  cleanup.add('stopping the webhook receiver', () => receiver.close());
  const issuer = await startOidcIssuer(AUDIENCE);
  cleanup.add('stopping the OIDC issuer', () => issuer.close());
  progress(`receiver at ${receiver.url}, OIDC issuer at ${issuer.issuer}`);

  const connectorSecretName = `closeout-health/${stage}/connectors/${CONNECTOR_ROUTE}`;
  await createConnectorSecret(clients, connectorSecretName, receiver);
  cleanup.add('deleting the connector secret', async () => {
    await clients.secretsManager.send(
      new DeleteSecretCommand({
        SecretId: connectorSecretName,
        ForceDeleteWithoutRecovery: true,
      }),
    );
  });

  const outputDirectory = mkdtempSync(join(tmpdir(), 'closeout-cdk-out-'));
  cleanup.add('deleting the cloud assembly', () =>
    rm(outputDirectory, { recursive: true, force: true }),
  );
  const cdk: CdkTarget = {
    endpoint,
    outputDirectory,
    context: {
      stage,
      schedule: 'rate(1 minute)',
      jwt: JSON.stringify({ issuer: issuer.issuer, audience: [AUDIENCE] }),
      connectors: JSON.stringify({
        [CONNECTOR_ROUTE]: { type: 'webhook', secretName: connectorSecretName },
      }),
    },
  };

  progress('cdk bootstrap');
  await bootstrap(cdk);
  progress(`cdk deploy of stage ${stage}`);
  const state = { destroyed: false };
  cleanup.add(`destroying stage ${stage}`, async () => {
    if (!state.destroyed) {
      await destroy(cdk);
    }
    await deleteRetainedTable(clients, service.tableName);
  });
  // Runs before the destroy step, because cleanup runs in reverse order.
  cleanup.addOnFailure('saving the function logs', async () => {
    const file = await saveFunctionLogs(clients.cloudWatchLogs, stackName);
    progress(`function logs: ${file}`);
  });
  const outputs = (await deploy(cdk))[stackName] ?? {};
  progress('deployed');

  await enableTimeToLive(clients, service.tableName);
  const apiId = await findHttpApiId(clients.cloudFormation, stackName);

  return {
    endpoint,
    service,
    stackName,
    outputs,
    connectorSecretName,
    clients,
    issuer,
    receiver,
    api: deployedApi(endpoint, apiId),
    async destroyStack() {
      await destroy(cdk);
      state.destroyed = true;
    },
  };
}

/**
 * Deletes the evidence table, which the stack keeps when it is deleted and
 * protects against deletion.
 */
async function deleteRetainedTable(clients: LocalClients, tableName: string) {
  try {
    await clients.dynamodb.send(
      new UpdateTableCommand({
        TableName: tableName,
        DeletionProtectionEnabled: false,
      }),
    );
    await clients.dynamodb.send(
      new DeleteTableCommand({ TableName: tableName }),
    );
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) {
      throw error;
    }
  }
}
