import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { readConnectors, readStage } from '../../cdk/context.ts';

describe('readStage', () => {
  it('returns dev when the stage is not set', () => {
    const stage = readStage(undefined);

    expect(stage).toBe('dev');
  });

  it('returns the stage from the context', () => {
    const stage = readStage('prod');

    expect(stage).toBe('prod');
  });

  it('rejects a stage that is not a string', () => {
    const read = () => readStage(42);

    expect(read).toThrow('Invalid context "stage"');
  });
});

describe('readConnectors', () => {
  // The random path is a fake webhook credential that no message may contain.
  const webhookUrl = `https://hooks.example.com/services/${randomUUID()}`;
  const grc = { type: 'webhook', url: webhookUrl };

  it('returns an empty map when connectors are not set', () => {
    const connectors = readConnectors(undefined);

    expect(connectors).toEqual({});
  });

  it('parses a JSON string from the command line', () => {
    const connectors = readConnectors(JSON.stringify({ grc }));

    expect(connectors).toEqual({ grc });
  });

  it('accepts an object from cdk.json', () => {
    const connectors = readConnectors({ grc });

    expect(connectors).toEqual({ grc });
  });

  it('returns connectors without schema defaults', () => {
    const connectors = readConnectors({ grc });

    expect(connectors.grc).not.toHaveProperty('timeoutMs');
  });

  it.each([
    ['an array', []],
    ['a number', 7],
    ['null', null],
    ['a JSON array string', '[]'],
  ])('rejects %s', (_kind, value) => {
    const read = () => readConnectors(value);

    expect(read).toThrow('Invalid context "connectors"');
  });

  it('rejects invalid JSON', () => {
    const read = () => readConnectors(`{"grc": "${webhookUrl}"`);

    expect(read).toThrow('the value is not valid JSON');
  });

  it('names the path of an invalid field', () => {
    const read = () =>
      readConnectors({ grc: { ...grc, url: `ftp://${randomUUID()}` } });

    expect(read).toThrow('$.grc.url');
  });

  it('rejects an unknown connector type', () => {
    const read = () => readConnectors({ grc: { ...grc, type: 'fax' } });

    expect(read).toThrow('$.grc.type');
  });

  it.each([
    ['invalid JSON', `{"grc": "${webhookUrl}"`],
    ['a route mapped to a string', { grc: webhookUrl }],
    ['an invalid header value', { grc: { ...grc, headers: { token: 42 } } }],
    ['an invalid timeout', { grc: { ...grc, timeoutMs: webhookUrl } }],
  ])('keeps values out of the message for %s', (_kind, value) => {
    const read = () => readConnectors(value);

    expect(read).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining(webhookUrl),
      }),
    );
  });
});
