import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createConnectorResolver,
  resolveConnector,
} from '#lib/adapters/connector-settings.ts';
import { parseConnectorSettings } from '#lib/config.ts';
import { ConfigurationError } from '#lib/errors.ts';
import { randomStage } from '../support/stage.ts';

const secrets = new SecretsManagerClient({});
const prefix = `closeout-health/${randomStage()}`;

/** Stores a secret on the local endpoint and returns its name and ARN. */
async function createSecret(name: string, value: string) {
  const secretName = `${prefix}/${name}`;
  const created = await secrets.send(
    new CreateSecretCommand({ Name: secretName, SecretString: value }),
  );
  return { secretName, secretArn: created.ARN ?? '' };
}

/** Returns a webhook URL whose random path acts as a credential. */
function secretWebhookUrl(): string {
  return `https://hooks.example.com/services/${randomUUID()}`;
}

describe('createConnectorResolver', () => {
  const grcUrl = secretWebhookUrl();
  let grc: { secretName: string; secretArn: string };

  beforeAll(async () => {
    grc = await createSecret(
      'grc',
      JSON.stringify({ url: grcUrl, headers: { authorization: 'Bearer t' } }),
    );
  });

  it('resolves a secret reference by name', async () => {
    const resolve = createConnectorResolver(
      parseConnectorSettings(
        JSON.stringify({
          grc: { type: 'webhook', secretName: grc.secretName },
        }),
      ),
    );

    const connector = await resolve('grc');

    expect(connector).toEqual({
      type: 'webhook',
      url: grcUrl,
      headers: { authorization: 'Bearer t' },
      timeoutMs: 10_000,
    });
  });

  it('resolves a secret reference by ARN', async () => {
    const resolve = createConnectorResolver(
      parseConnectorSettings(
        JSON.stringify({
          grc: { type: 'teams', secretArn: grc.secretArn, timeoutMs: 500 },
        }),
      ),
    );

    const connector = await resolve('grc');

    expect(connector).toMatchObject({
      type: 'teams',
      url: grcUrl,
      timeoutMs: 500,
    });
  });

  it('keeps the policy overrides of a reference', async () => {
    const resolve = createConnectorResolver(
      parseConnectorSettings(
        JSON.stringify({
          grc: {
            type: 'webhook',
            secretName: grc.secretName,
            retry: { maxAttempts: 3 },
            circuit: { failureThreshold: 5 },
          },
        }),
      ),
    );

    const connector = await resolve('grc');

    expect(connector).toMatchObject({
      retry: { maxAttempts: 3 },
      circuit: { failureThreshold: 5 },
    });
  });

  it('keeps the secret id out of the connector', async () => {
    const resolve = createConnectorResolver({
      grc: { type: 'webhook', secretId: grc.secretName, timeoutMs: 1_000 },
    });

    const connector = await resolve('grc');

    expect(connector).not.toHaveProperty('secretId');
  });

  it('defaults the headers of a secret to none', async () => {
    const url = secretWebhookUrl();
    const { secretName } = await createSecret('bare', JSON.stringify({ url }));
    const resolve = createConnectorResolver({
      bare: { type: 'webhook', secretId: secretName, timeoutMs: 1_000 },
    });

    const connector = await resolve('bare');

    expect(connector?.headers).toEqual({});
  });

  it('returns an inline connector as configured', async () => {
    const url = secretWebhookUrl();
    const settings = parseConnectorSettings(
      JSON.stringify({ local: { type: 'webhook', url } }),
    );
    const resolve = createConnectorResolver(settings);

    const connector = await resolve('local');

    expect(connector).toEqual(settings.local);
  });

  it.each(['unknown', 'constructor', '__proto__'])(
    'returns undefined for the route %s',
    async (route) => {
      const resolve = createConnectorResolver({});

      const connector = await resolve(route);

      expect(connector).toBeUndefined();
    },
  );

  it('reuses a secret value within its maximum age', async () => {
    const url = secretWebhookUrl();
    const { secretName } = await createSecret(
      'cached',
      JSON.stringify({ url }),
    );
    const resolve = createConnectorResolver({
      cached: { type: 'webhook', secretId: secretName, timeoutMs: 1_000 },
    });
    await resolve('cached');
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: secretName,
        SecretString: JSON.stringify({ url: secretWebhookUrl() }),
      }),
    );

    const connector = await resolve('cached');

    expect(connector?.url).toBe(url);
  });

  it('names route and secret when the secret is missing', async () => {
    const secretName = `${prefix}/missing`;
    const resolve = createConnectorResolver({
      gone: { type: 'webhook', secretId: secretName, timeoutMs: 1_000 },
    });

    const resolving = resolve('gone');

    await expect(resolving).rejects.toThrow(ConfigurationError);
    await expect(resolving).rejects.toThrow(
      `Cannot read the secret ${secretName} of connector route gone`,
    );
  });

  it('keeps a secret that is not JSON out of the message', async () => {
    const url = secretWebhookUrl();
    const { secretName } = await createSecret('text', url);
    const resolve = createConnectorResolver({
      text: { type: 'webhook', secretId: secretName, timeoutMs: 1_000 },
    });

    const resolving = resolve('text');

    await expect(resolving).rejects.toThrow(/Invalid value of the secret/);
    await expect(resolving).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(url) }),
    );
  });

  it('names the invalid field of a secret value', async () => {
    const { secretName } = await createSecret(
      'no-url',
      JSON.stringify({ headers: { token: secretWebhookUrl() } }),
    );
    const resolve = createConnectorResolver({
      broken: { type: 'webhook', secretId: secretName, timeoutMs: 1_000 },
    });

    const resolving = resolve('broken');

    await expect(resolving).rejects.toThrow('$.url');
  });
});

describe('resolveConnector', () => {
  it('resolves routes of the CONNECTORS variable', async () => {
    const url = secretWebhookUrl();
    const { secretName } = await createSecret('env', JSON.stringify({ url }));
    process.env.CONNECTORS = JSON.stringify({
      env: { type: 'webhook', secretName },
    });

    const connector = await resolveConnector('env');

    expect(connector?.url).toBe(url);
  });
});
