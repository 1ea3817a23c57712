/**
 * The README's first command, run as a user runs it, against the test
 * run's local endpoint.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { randomStage, randomTenant } from '../support/stage.ts';

const run = promisify(execFile);

function mainJob(...args: string[]) {
  return run(
    'npx',
    [
      'tsx',
      'lib/local/main.ts',
      '--stage',
      randomStage('c'),
      '--tenant',
      randomTenant(),
      ...args,
    ],
    {
      env: process.env,
    },
  );
}

describe('main job command', () => {
  it('prints the expected JSON report', async () => {
    const { stdout } = await mainJob(
      '--as-of',
      '2026-05-31T08:30:00Z',
      '--json',
    );
    const report = JSON.parse(stdout);

    expect(report.initial.healthState).toBe('warning');
    expect(report.initial.findings).toEqual([
      expect.objectContaining({
        category: 'closeout_delivery_failed',
        severity: 'warning',
        subjectId: 'connector-delivery-demo-001',
      }),
    ]);
    expect(report.initial.releaseDecision.state).toBe(
      'ready_with_accepted_risk',
    );
    expect(report.initial.releaseDecision.reasons.length).toBeGreaterThan(0);
    expect(report.alertPlan.routes).toEqual(['demo-non-production-webhook']);
    expect(report.retryPlan.planId).toMatch(/^rp-/);
    expect(
      report.workerRuns.map((item: { mode: string }) => item.mode),
    ).toEqual(['dry_run', 'live']);
    expect(report.final.healthState).toBe('healthy');
    expect(report.final.releaseDecision.state).toBe('ready_for_release');
  });

  it('prints a readable report by default', async () => {
    const { stdout } = await mainJob('--as-of', '2026-12-04T12:00:00Z');

    expect(stdout).toContain('release decision for closeout-demo-001: blocked');
    expect(stdout).toContain('expired on 2026-06-07');
    expect(stdout).toContain(
      'release decision for closeout-demo-001: ready_for_release',
    );
  });

  it('exits with 2 and names an invalid --as-of', async () => {
    const attempt = mainJob('--as-of', 'yesterday');

    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Invalid --as-of "yesterday"'),
    });
  });

  it('exits with 2 and names an unknown time zone', async () => {
    const attempt = mainJob('--zone', 'Mars/Olympus');

    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown time zone "Mars/Olympus"'),
    });
  });

  it('exits with 2 and names a missing package', async () => {
    const attempt = mainJob('--package', 'missing.json');

    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Invalid --package "missing.json"'),
    });
  });

  it('exits with 2 and lists every invalid field of a package', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'closeout-health-'));
    const path = join(directory, 'invalid.json');
    const invalid = JSON.parse(
      await readFile('examples/cavra-sample-evidence-package.json', 'utf8'),
    );
    invalid.generated_at = 'yesterday';
    invalid.retention_review.legal_hold = 'no';
    await writeFile(path, JSON.stringify(invalid));

    const attempt = mainJob('--package', path);

    await expect(attempt).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /\$\.generated_at: [^\n]*\n\s+\$\.retention_review\.legal_hold/,
      ),
    });
  });

  it('rejects log output with --json', async () => {
    const attempt = mainJob('--json', '--log-level', 'INFO');

    await expect(attempt).rejects.toMatchObject({ code: 2 });
  });
});
