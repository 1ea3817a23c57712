import type { EvidenceRepository } from '../adapters/evidence-repository.ts';
import { EvidencePackageSchema } from '../domain/evidence-package.ts';
import { mapEvidencePackage } from '../domain/import-package.ts';
import { ValidationError } from '../errors.ts';
import { parseInput, parseJson } from '../validation.ts';

/** Largest package file accepted, in bytes; a DynamoDB item is at most 400 KB. */
export const MAX_PACKAGE_BYTES = 300_000;

const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Checks a tenant id from a path or option.
 *
 * @throws ValidationError naming the id and the allowed characters.
 */
export function assertTenantId(tenantId: string): void {
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    throw new ValidationError(
      `Invalid tenant id "${tenantId}": use 1 to 63 characters of a-z, 0-9 and "-", starting with a letter or digit.`,
      [{ path: '$.tenantId', message: 'expected a lower-case tenant id' }],
    );
  }
}

export interface ImportResult {
  status: 'imported' | 'unchanged';
  tenantId: string;
  closeoutId: string;
  packageDigest: string;
  deliveryIds: string[];
  retryPlanIds: string[];
  workerRunIds: string[];
}

/**
 * Validates an evidence package file and stores its records, all or none.
 *
 * @throws ValidationError listing each invalid field by JSON path; nothing
 *   is stored then.
 */
export async function importPackage(
  repository: EvidenceRepository,
  tenantId: string,
  packageText: string,
  now: Date,
): Promise<ImportResult> {
  assertTenantId(tenantId);
  const size = Buffer.byteLength(packageText, 'utf8');
  if (size > MAX_PACKAGE_BYTES) {
    throw new ValidationError(
      `The evidence package is ${size} bytes; the limit is ${MAX_PACKAGE_BYTES}. Remove embedded content and keep references.`,
      [{ path: '$', message: `expected at most ${MAX_PACKAGE_BYTES} bytes` }],
    );
  }
  const document = parseJson(packageText, 'evidence package');
  const evidencePackage = parseInput(
    EvidencePackageSchema,
    document,
    'evidence package',
  );
  const imported = mapEvidencePackage(
    tenantId,
    evidencePackage,
    packageText,
    now,
  );
  const status = await repository.importEvidence(imported, packageText);

  return {
    status,
    tenantId,
    closeoutId: imported.closeout.closeoutId,
    packageDigest: imported.packageDigest,
    deliveryIds: imported.deliveries.map((item) => item.deliveryId),
    retryPlanIds: imported.retryPlans.map((item) => item.planId),
    workerRunIds: imported.workerRuns.map((item) => item.runId),
  };
}
