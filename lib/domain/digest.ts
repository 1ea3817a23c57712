import { createHash } from 'node:crypto';

/**
 * Serializes a JSON value with object keys sorted, so that equal values
 * always give equal text and equal digests.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) {
        sorted[key] = sortKeys(entry);
      }
    }
    return sorted;
  }
  return value;
}

/** Returns the SHA-256 of text or bytes, as lower-case hex. */
export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Derives a stable id from its parts: `prefix-` and the first 20 hex digits
 * of the SHA-256 of the parts' canonical JSON. The same parts always give the
 * same id, which makes repeated writes idempotent.
 */
export function deriveId(prefix: string, ...parts: unknown[]): string {
  return `${prefix}-${sha256Hex(canonicalJson(parts)).slice(0, 20)}`;
}
