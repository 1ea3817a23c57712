import { randomBytes } from 'node:crypto';

/** Returns a random stage name, so that test files never share resources. */
export function randomStage(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Returns a random tenant id. */
export function randomTenant(): string {
  return `tenant-${randomBytes(5).toString('hex')}`;
}
