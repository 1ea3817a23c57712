import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConnectorSettingsSchema,
  parseConnectorSettings,
  readConfig,
} from '#lib/config.ts';
import { ConfigurationError } from '#lib/errors.ts';

const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:closeout-health/prod/grc-AbCdEf';

/** Returns a webhook URL whose random path acts as a credential. */
function secretWebhookUrl(): string {
  return `https://hooks.example.com/services/${randomUUID()}`;
}

function environment(variables: Record<string, string> = {}) {
  return { TABLE_NAME: 'closeout-health-test-evidence', ...variables };
}

describe('parseConnectorSettings', () => {
  it('fills in the defaults of an inline connector', () => {
    const url = secretWebhookUrl();

    const settings = parseConnectorSettings(
      JSON.stringify({ grc: { type: 'webhook', url } }),
    );

    expect(settings).toEqual({
      grc: { type: 'webhook', url, headers: {}, timeoutMs: 10_000 },
    });
  });

  it('reads a secret reference by name', () => {
    const settings = parseConnectorSettings(
      JSON.stringify({
        chat: { type: 'slack', secretName: 'closeout-health/prod/chat' },
      }),
    );

    expect(settings).toEqual({
      chat: {
        type: 'slack',
        secretId: 'closeout-health/prod/chat',
        timeoutMs: 10_000,
      },
    });
  });

  it('reads a secret reference by ARN with a timeout', () => {
    const settings = parseConnectorSettings(
      JSON.stringify({
        grc: { type: 'webhook', secretArn: SECRET_ARN, timeoutMs: 2_000 },
      }),
    );

    expect(settings).toEqual({
      grc: { type: 'webhook', secretId: SECRET_ARN, timeoutMs: 2_000 },
    });
  });

  it('reads inline and referenced routes side by side', () => {
    const url = secretWebhookUrl();

    const settings = parseConnectorSettings(
      JSON.stringify({
        local: { type: 'webhook', url },
        pager: { type: 'pagerduty', secretName: 'pager' },
      }),
    );

    expect(Object.keys(settings)).toEqual(['local', 'pager']);
  });

  it('returns no settings for an empty object', () => {
    const settings = parseConnectorSettings('{}');

    expect(settings).toEqual({});
  });

  it.each([
    [
      'both secretArn and secretName',
      { type: 'webhook', secretArn: SECRET_ARN, secretName: 'grc' },
      '$.grc: set either secretArn or secretName, not both',
    ],
    [
      'neither secretArn nor secretName',
      { type: 'webhook' },
      '$.grc: set either secretArn or secretName, not both',
    ],
    [
      'an ARN of another service',
      { type: 'webhook', secretArn: 'arn:aws:ssm:eu-west-1:1:parameter/x' },
      '$.grc.secretArn: expected the ARN of a Secrets Manager secret',
    ],
    [
      'a secret name with a space',
      { type: 'webhook', secretName: 'closeout health' },
      '$.grc.secretName',
    ],
    [
      'headers beside a secret reference',
      { type: 'webhook', secretName: 'grc', headers: {} },
      '$.grc',
    ],
    ['an unknown type', { type: 'fax', secretName: 'grc' }, '$.grc.type'],
    ['a route mapped to a string', 'grc', '$.grc'],
    [
      'a timeout below 100 ms',
      { type: 'webhook', secretName: 'grc', timeoutMs: 10 },
      '$.grc.timeoutMs',
    ],
  ])('rejects %s', (_case, setting, message) => {
    const parse = () =>
      parseConnectorSettings(JSON.stringify({ grc: setting }));

    expect(parse).toThrow(message);
  });

  it('raises a ConfigurationError', () => {
    const parse = () => parseConnectorSettings('{"grc": 1}');

    expect(parse).toThrow(ConfigurationError);
  });

  it('names the inline field that is invalid', () => {
    const parse = () =>
      parseConnectorSettings(
        JSON.stringify({ grc: { type: 'webhook', url: 'ftp://host/path' } }),
      );

    expect(parse).toThrow('$.grc.url');
  });

  it.each([
    ['invalid JSON', (url: string) => `{"grc": "${url}"`],
    [
      'an invalid header value',
      (url: string) =>
        JSON.stringify({
          grc: { type: 'webhook', url, headers: { token: 42 } },
        }),
    ],
    [
      'an invalid timeout',
      (url: string) =>
        JSON.stringify({ grc: { type: 'webhook', url, timeoutMs: url } }),
    ],
  ])('keeps the URL out of the message for %s', (_case, text) => {
    const url = secretWebhookUrl();

    const parse = () => parseConnectorSettings(text(url));

    expect(parse).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(url) }),
    );
  });
});

describe('ConnectorSettingsSchema', () => {
  it('tells the forms apart by the url field', () => {
    const result = ConnectorSettingsSchema.safeParse({
      grc: { type: 'webhook', url: 'not a url', secretName: 'grc' },
    });

    const paths = result.error?.issues.map((issue) => issue.path.join('.'));

    expect(paths).toContain('grc.url');
  });
});

describe('readConfig', () => {
  it('returns every connector setting', () => {
    const url = secretWebhookUrl();
    const connectors = {
      local: { type: 'webhook', url },
      pager: { type: 'pagerduty', secretName: 'pager' },
    };

    const config = readConfig(
      environment({ CONNECTORS: JSON.stringify(connectors) }),
    );

    expect(Object.keys(config.connectorSettings)).toEqual(['local', 'pager']);
  });

  it('returns only inline routes as connectors', () => {
    const url = secretWebhookUrl();
    const connectors = {
      local: { type: 'webhook', url },
      pager: { type: 'pagerduty', secretName: 'pager' },
    };

    const config = readConfig(
      environment({ CONNECTORS: JSON.stringify(connectors) }),
    );

    expect(config.connectors).toEqual({
      local: { type: 'webhook', url, headers: {}, timeoutMs: 10_000 },
    });
  });

  it('evaluates every tenant without TENANTS', () => {
    const config = readConfig(environment());

    expect(config.tenants).toEqual([]);
  });

  it('splits the TENANTS list and drops blanks', () => {
    const config = readConfig(environment({ TENANTS: 'acme, cavra-demo,,' }));

    expect(config.tenants).toEqual(['acme', 'cavra-demo']);
  });

  it('names CONNECTORS when it is invalid', () => {
    const read = () => readConfig(environment({ CONNECTORS: '[' }));

    expect(read).toThrow(
      'Invalid service settings: Invalid CONNECTORS setting',
    );
  });

  it('names a missing TABLE_NAME', () => {
    const read = () => readConfig({});

    expect(read).toThrow('$.TABLE_NAME');
  });

  it('rejects critical days above warning days', () => {
    const read = () =>
      readConfig(environment({ WARNING_DAYS: '5', CRITICAL_DAYS: '9' }));

    expect(read).toThrow('CRITICAL_DAYS (9) must not exceed WARNING_DAYS (5)');
  });
});
