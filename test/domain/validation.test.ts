import { describe, expect, it } from 'vitest';
import { EvidencePackageSchema } from '#lib/domain/evidence-package.ts';
import { ValidationError } from '#lib/errors.ts';
import { parseInput, parseJson, toJsonPath } from '#lib/validation.ts';

import { samplePackageText } from '../support/fixtures.ts';

type JsonObject = Record<string, unknown>;

/**
 * Returns the sample package with the value at `path` replaced, or removed
 * when `value` is undefined.
 */
function samplePackageWith(
  path: readonly (string | number)[],
  value: unknown,
): JsonObject {
  const root = JSON.parse(samplePackageText()) as JsonObject;
  const parentPath = path.slice(0, -1);
  const key = path.at(-1);
  let parent = root;
  for (const segment of parentPath) {
    parent = parent[segment] as JsonObject;
  }

  if (key === undefined) {
    throw new Error('expected a path with at least one segment');
  }
  if (value === undefined) {
    delete parent[key];
  } else {
    parent[key] = value;
  }
  return root;
}

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ValidationError, but the input was accepted');
}

function parsePackage(input: unknown) {
  return parseInput(EvidencePackageSchema, input, 'evidence package');
}

describe('parseInput', () => {
  it('keeps unknown package fields', () => {
    const input = JSON.parse(samplePackageText());

    const parsed = parsePackage(input);

    expect(parsed.scenario).toEqual(input.scenario);
  });

  it.each([
    {
      path: ['retention_review', 'retention_until'],
      value: '2027-13-01',
      jsonPath: '$.retention_review.retention_until',
      message: 'expected a calendar date YYYY-MM-DD, received "2027-13-01"',
    },
    {
      path: ['retention_review', 'retention_until'],
      value: '2026-02-30',
      jsonPath: '$.retention_review.retention_until',
      message: 'expected a calendar date YYYY-MM-DD, received "2026-02-30"',
    },
    {
      path: ['schema_version'],
      value: 'cavra.final_closeout_trial.v2',
      jsonPath: '$.schema_version',
      message:
        'expected "cavra.final_closeout_trial.v1", received "cavra.final_closeout_trial.v2"',
    },
    {
      path: ['release_closeout_summary', 'closeout_state'],
      value: 'archived',
      jsonPath: '$.release_closeout_summary.closeout_state',
      message: 'expected one of open, closed, received "archived"',
    },
    {
      path: ['generated_at'],
      value: '2026-05-31',
      jsonPath: '$.generated_at',
      message:
        'expected an ISO 8601 date-time with offset, received "2026-05-31"',
    },
    {
      path: ['retention_review', 'decision_state'],
      value: 'maybe',
      jsonPath: '$.retention_review.decision_state',
      message:
        'expected one of approved, pending, deferred, denied, expired, received "maybe"',
    },
    {
      path: ['retention_review', 'legal_hold'],
      value: 'no',
      jsonPath: '$.retention_review.legal_hold',
      message: 'expected true or false',
    },
    {
      path: ['release_closeout_summary', 'blocker_count'],
      value: -1,
      jsonPath: '$.release_closeout_summary.blocker_count',
      message: 'expected a count of 0 or more',
    },
    {
      path: ['closeout_artifact_bundle', 'files', 1, 'name'],
      value: '',
      jsonPath: '$.closeout_artifact_bundle.files[1].name',
      message: 'expected a file name',
    },
    {
      path: ['release_decision', 'accepted_risk', 'expires_at'],
      value: '7 June',
      jsonPath: '$.release_decision.accepted_risk.expires_at',
      message: 'expected a calendar date YYYY-MM-DD, received "7 June"',
    },
    {
      path: ['final_readiness_bundle', 'release_id'],
      value: '',
      jsonPath: '$.final_readiness_bundle.release_id',
      message: 'expected a non-empty id',
    },
  ])('rejects $jsonPath = $value', ({ path, value, jsonPath, message }) => {
    const input = samplePackageWith(path, value);

    const error = validationErrorOf(() => parsePackage(input));

    expect(error.issues).toEqual([{ path: jsonPath, message }]);
  });

  it('rejects a package without release_closeout_summary', () => {
    const input = samplePackageWith(['release_closeout_summary'], undefined);

    const error = validationErrorOf(() => parsePackage(input));

    expect(error.issues).toEqual([
      {
        path: '$.release_closeout_summary',
        message: expect.stringContaining('expected object'),
      },
    ]);
  });

  it('accepts a null retention_until', () => {
    const input = samplePackageWith(
      ['retention_review', 'retention_until'],
      null,
    );

    const parsed = parsePackage(input);

    expect(parsed.retention_review?.retention_until).toBeNull();
  });

  it('summarises the first issue in the message', () => {
    const input = samplePackageWith(['schema_version'], 'v2');

    const error = validationErrorOf(() => parsePackage(input));

    expect(error.message).toBe(
      'Invalid evidence package. $.schema_version: expected "cavra.final_closeout_trial.v1", received "v2"',
    );
  });

  it('counts the further issues in the message', () => {
    const input = samplePackageWith(['schema_version'], 'v2');
    input.generated_at = 'yesterday';

    const error = validationErrorOf(() => parsePackage(input));

    expect(error.issues).toHaveLength(2);
    expect(error.message).toMatch(/\(and 1 more\)$/);
  });

  it('raises a 422 ValidationError', () => {
    const error = validationErrorOf(() => parsePackage('not an object'));

    expect(error.statusCode).toBe(422);
    expect(error.issues[0]?.path).toBe('$');
  });
});

describe('parseJson', () => {
  it('returns the parsed value', () => {
    const value = parseJson('{"closeout_id":"closeout-1"}', 'request body');

    expect(value).toEqual({ closeout_id: 'closeout-1' });
  });

  it('raises ValidationError for invalid JSON', () => {
    const error = validationErrorOf(() =>
      parseJson('{"schema_version":', 'evidence package'),
    );

    expect(error.message).toMatch(/^Invalid evidence package: /);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('$');
    expect(error.issues[0]?.message).toMatch(/^expected JSON, /);
  });
});

describe('toJsonPath', () => {
  it.each<{ path: PropertyKey[]; jsonPath: string }>([
    { path: [], jsonPath: '$' },
    { path: ['generated_at'], jsonPath: '$.generated_at' },
    {
      path: ['retention_review', 'retention_until'],
      jsonPath: '$.retention_review.retention_until',
    },
    {
      path: ['closeout_artifact_bundle', 'files', 0, 'sha256'],
      jsonPath: '$.closeout_artifact_bundle.files[0].sha256',
    },
    { path: ['headers', 'x-api-key'], jsonPath: '$.headers["x-api-key"]' },
    { path: ['0'], jsonPath: '$["0"]' },
    { path: ['with space'], jsonPath: '$["with space"]' },
    { path: ['say "hi"'], jsonPath: '$["say \\"hi\\""]' },
    { path: [Symbol('tag')], jsonPath: '$["Symbol(tag)"]' },
  ])('formats $jsonPath', ({ path, jsonPath }) => {
    const formatted = toJsonPath(path);

    expect(formatted).toBe(jsonPath);
  });
});
