import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';

import {
  parseDeploymentSettings,
  readDeploymentSettings,
} from '../../cdk/context.ts';

const JWT = {
  issuer: 'https://auth.example.com/',
  audience: ['closeout-health'],
};
const GRC = { type: 'webhook', secretName: 'closeout-health/prod/grc' };

describe('parseDeploymentSettings', () => {
  it('fills in the defaults', () => {
    const settings = parseDeploymentSettings({ jwt: JWT });

    expect(settings).toEqual({
      stage: 'dev',
      zone: 'UTC',
      warningDays: 30,
      criticalDays: 7,
      tenants: [],
      jwt: JWT,
      throttling: { rateLimit: 50, burstLimit: 100 },
      connectors: {},
    });
  });

  it('leaves the schedule to the definition', () => {
    const settings = parseDeploymentSettings({ jwt: JWT });

    expect(settings.schedule).toBeUndefined();
  });

  it('accepts every setting as JSON values', () => {
    const values = {
      stage: 'prod',
      schedule: 'cron(0 6 * * ? *)',
      zone: 'Europe/Berlin',
      warningDays: 14,
      criticalDays: 3,
      tenants: ['cavra-demo', 'acme'],
      jwt: JWT,
      throttling: { rateLimit: 5, burstLimit: 10 },
      connectors: { grc: GRC },
    };

    const settings = parseDeploymentSettings(values);

    expect(settings).toEqual(values);
  });

  it('accepts text values from --context', () => {
    const settings = parseDeploymentSettings({
      schedule: 'rate(15 minutes)',
      warningDays: '14',
      criticalDays: '0',
      tenants: 'cavra-demo, acme',
      jwt: JSON.stringify(JWT),
      throttling: '{"rateLimit": 5}',
      connectors: JSON.stringify({ grc: GRC }),
    });

    expect(settings).toMatchObject({
      schedule: 'rate(15 minutes)',
      warningDays: 14,
      criticalDays: 0,
      tenants: ['cavra-demo', 'acme'],
      jwt: JWT,
      throttling: { rateLimit: 5, burstLimit: 100 },
      connectors: { grc: GRC },
    });
  });

  it('accepts policy overrides of a connector', () => {
    const grc = {
      ...GRC,
      timeoutMs: 2_000,
      retry: { maxAttempts: 3 },
      circuit: { failureThreshold: 5 },
    };

    const settings = parseDeploymentSettings({ jwt: JWT, connectors: { grc } });

    expect(settings.connectors.grc).toEqual(grc);
  });

  it('accepts a local issuer on 127.0.0.1', () => {
    const jwt = { issuer: 'http://127.0.0.1:4566/realm', audience: ['a'] };

    const settings = parseDeploymentSettings({ jwt });

    expect(settings.jwt).toEqual(jwt);
  });

  it.each([
    ['rate(1 hour)'],
    ['rate(5 minutes)'],
    ['rate(2 days)'],
    ['cron(0/15 * * * ? *)'],
  ])('accepts the schedule %s', (schedule) => {
    const settings = parseDeploymentSettings({ jwt: JWT, schedule });

    expect(settings.schedule).toBe(schedule);
  });

  it.each([
    ['a missing jwt', { jwt: undefined }, '"jwt"'],
    [
      'an http issuer',
      { jwt: { ...JWT, issuer: 'http://a.example' } },
      '"jwt.issuer"',
    ],
    [
      'an issuer that is no URL',
      { jwt: { ...JWT, issuer: 'auth' } },
      '"jwt.issuer"',
    ],
    ['an empty audience', { jwt: { ...JWT, audience: [] } }, '"jwt.audience"'],
    ['a jwt that is no JSON', { jwt: '{issuer' }, '"jwt"'],
    ['an upper-case stage', { stage: 'Prod' }, '"stage"'],
    ['an unknown zone', { zone: 'Mars/Olympus' }, '"zone"'],
    ['a plural rate of one', { schedule: 'rate(1 hours)' }, '"schedule"'],
    ['a rate of zero', { schedule: 'rate(0 minutes)' }, '"schedule"'],
    ['a five-field cron', { schedule: 'cron(0 6 * * ?)' }, '"schedule"'],
    ['zero warning days', { warningDays: 0 }, '"warningDays"'],
    ['fractional days', { criticalDays: '1.5' }, '"criticalDays"'],
    [
      'critical above warning',
      { warningDays: 5, criticalDays: 9 },
      '"criticalDays"',
    ],
    ['an invalid tenant id', { tenants: 'Acme' }, '"tenants[0]"'],
    ['a repeated tenant id', { tenants: ['acme', 'acme'] }, '"tenants"'],
    [
      'a zero rate limit',
      { throttling: { rateLimit: 0 } },
      '"throttling.rateLimit"',
    ],
    [
      'a fractional burst',
      { throttling: { burstLimit: 1.5 } },
      '"throttling.burstLimit"',
    ],
    [
      'an unknown connector type',
      { connectors: { grc: { ...GRC, type: 'fax' } } },
      '"connectors.grc.type"',
    ],
    [
      'a connector without secret',
      { connectors: { grc: { type: 'webhook' } } },
      '"connectors.grc.secretName"',
    ],
    [
      'an invalid route name',
      { connectors: { 'a b': GRC } },
      '"connectors.a b"',
    ],
    [
      'an unknown retry field',
      { connectors: { grc: { ...GRC, retry: { tries: 3 } } } },
      '"connectors.grc.retry"',
    ],
  ])('names the setting for %s', (_case, values, setting) => {
    const parse = () => parseDeploymentSettings({ jwt: JWT, ...values });

    expect(parse).toThrow(setting);
  });

  it('rejects a connector URL in the template', () => {
    const url = 'https://hooks.example.com/services/T000/B000/secret-path';

    const parse = () =>
      parseDeploymentSettings({
        jwt: JWT,
        connectors: { grc: { type: 'webhook', url } },
      });

    expect(parse).toThrow(/"connectors\.grc": unexpected url: .*secretName/);
  });

  it('keeps a connector URL out of the message', () => {
    const url = 'https://hooks.example.com/services/T000/B000/secret-path';

    const parse = () =>
      parseDeploymentSettings({
        jwt: JWT,
        connectors: { grc: { type: 'webhook', url } },
      });

    expect(parse).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(url) }),
    );
  });

  it('lists every invalid setting at once', () => {
    const parse = () =>
      parseDeploymentSettings({ jwt: JWT, zone: 'Nowhere', warningDays: 0 });

    expect(parse).toThrow(/"zone".*"warningDays"/);
  });
});

describe('readDeploymentSettings', () => {
  it('reads the settings from the app context', () => {
    const app = new App({
      context: { stage: 'prod', jwt: JWT, warningDays: '21' },
    });

    const settings = readDeploymentSettings(app.node);

    expect(settings).toMatchObject({
      stage: 'prod',
      jwt: JWT,
      warningDays: 21,
    });
  });

  it('names an invalid context value', () => {
    const app = new App({
      context: { jwt: { ...JWT, audience: 'closeout-health' } },
    });

    const read = () => readDeploymentSettings(app.node);

    expect(read).toThrow('Invalid CDK context "jwt.audience"');
  });

  it('ignores context keys that are not settings', () => {
    const app = new App({ context: { jwt: JWT, 'other-tool:flag': true } });

    const settings = readDeploymentSettings(app.node);

    expect(settings).not.toHaveProperty('other-tool:flag');
  });
});
