import { describe, expect, it } from 'vitest';

import { REDACTED, redactHeaders, redactUrl } from '#lib/domain/redaction.ts';

describe('redactUrl', () => {
  it.each([
    {
      case: 'a query string',
      url: 'https://grc.example.com/intake/closeouts?token=abc&sig=def',
      redacted: 'https://grc.example.com/intake/closeouts?[redacted]',
    },
    {
      case: 'a Slack webhook path',
      url: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX',
      redacted: 'https://hooks.slack.com/[redacted]',
    },
    {
      case: 'a Teams webhook path',
      url: 'https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456',
      redacted: 'https://contoso.webhook.office.com/[redacted]',
    },
    {
      case: 'a Teams workflow path and query',
      url: 'https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=xyz',
      redacted: 'https://prod-01.westus.logic.azure.com/[redacted]?[redacted]',
    },
    {
      case: 'user info',
      url: 'https://svc-user:s3cret@grc.example.com/intake',
      redacted: 'https://grc.example.com/intake',
    },
    {
      case: 'a fragment',
      url: 'https://grc.example.com/intake#access_token=abc',
      redacted: 'https://grc.example.com/intake',
    },
    {
      case: 'a Slack path on an upper-case host',
      url: 'https://HOOKS.SLACK.COM/services/T000/B000/XXXXXXXX',
      redacted: 'https://hooks.slack.com/[redacted]',
    },
    {
      case: 'a Slack path on a trailing-dot host',
      url: 'https://hooks.slack.com./services/T000/B000/XXXXXXXX',
      redacted: 'https://hooks.slack.com./[redacted]',
    },
  ])('redacts $case', ({ url, redacted }) => {
    const result = redactUrl(url);

    expect(result).toBe(redacted);
  });

  it('keeps a URL without secrets', () => {
    const url = 'http://127.0.0.1:8080/hooks/closeout';

    const result = redactUrl(url);

    expect(result).toBe(url);
  });

  it('replaces a value that is not a URL', () => {
    const result = redactUrl('hooks.slack.com/services/T000/B000/XXXXXXXX');

    expect(result).toBe(REDACTED);
  });
});

describe('redactHeaders', () => {
  it.each([
    'Authorization',
    'authorization',
    'Proxy-Authorization',
    'Cookie',
    'X-Api-Key',
    'x-api-key',
    'Api-Key',
    'X-Auth-Token',
    'token',
    'X-Webhook-Secret',
    'X-Slack-Signature',
  ])('redacts %s', (name) => {
    const headers = { [name]: 'credential-value' };

    const redacted = redactHeaders(headers);

    expect(redacted[name]).toBe(REDACTED);
  });

  it.each(['Content-Type', 'User-Agent', 'X-Request-Id'])(
    'keeps %s',
    (name) => {
      const headers = { [name]: 'plain-value' };

      const redacted = redactHeaders(headers);

      expect(redacted[name]).toBe('plain-value');
    },
  );

  it('returns a copy and leaves the input unchanged', () => {
    const headers = { Authorization: 'Bearer abc', 'Content-Type': 'a/b' };

    const redacted = redactHeaders(headers);

    expect(redacted).toEqual({
      Authorization: REDACTED,
      'Content-Type': 'a/b',
    });
    expect(headers.Authorization).toBe('Bearer abc');
  });
});
