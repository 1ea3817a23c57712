import { TABLE_KEYS } from '../resources.ts';

/** Sort keys of the evidence table. Every partition key is `TENANT#<id>`. */

export const tenantKey = (tenantId: string) => `TENANT#${tenantId}`;

export const SORT_KEYS = {
  tenant: 'TENANT',
  alertState: 'ALERTSTATE',
  latestReport: 'LATEST#REPORT',
  package: (digest: string) => `PACKAGE#${digest}`,
  closeout: (closeoutId: string) => `CLOSEOUT#${closeoutId}`,
  delivery: (deliveryId: string) => `DELIVERY#${deliveryId}`,
  retryPlan: (planId: string) => `RETRYPLAN#${planId}`,
  workerRun: (runId: string) => `WORKERRUN#${runId}`,
  execution: (runId: string, deliveryId: string) =>
    `EXECUTION#${runId}#${deliveryId}`,
  report: (reportId: string) => `REPORT#${reportId}`,
  alertPlan: (alertPlanId: string) => `ALERTPLAN#${alertPlanId}`,
  alertDelivery: (alertPlanId: string, route: string) =>
    `ALERTDELIVERY#${alertPlanId}#${route}`,
  silence: (silenceId: string) => `SILENCE#${silenceId}`,
  deadLetter: (deliveryId: string, messageId: string) =>
    `DEADLETTER#${deliveryId}#${messageId}`,
  /** Marks a tenant that no evaluation has reported on yet. */
  unevaluated: 'RISK#unevaluated',
  circuit: 'CIRCUIT',
} as const;

/** Partition key of a connector route's circuit breaker. */
export const connectorKey = (route: string) => `CONNECTOR#${route}`;

/** Sort-key prefixes for queries by record kind. */
export const SORT_PREFIXES = {
  closeout: 'CLOSEOUT#',
  delivery: 'DELIVERY#',
  retryPlan: 'RETRYPLAN#',
  workerRun: 'WORKERRUN#',
  execution: (runId: string) => `EXECUTION#${runId}#`,
  silence: 'SILENCE#',
  alertDelivery: (alertPlanId: string) => `ALERTDELIVERY#${alertPlanId}#`,
  deadLetter: 'DEADLETTER#',
} as const;

/** Partition of the index that lists every tenant. */
export const TENANT_REGISTRY = 'TENANTS';

/** Partition of the registry index that lists the evidence at risk. */
export const RISK_REGISTRY = 'RISK';

/**
 * Registry index attributes of a record that is at risk from `date`, or
 * none when `date` is undefined. A put without them drops the record from
 * the index, which is sparse.
 */
export function riskAttributes(
  date: string | undefined,
  tenantId: string,
  subject: string,
): Record<string, string> {
  if (date === undefined) {
    return {};
  }
  return {
    [TABLE_KEYS.registryPartitionKey]: RISK_REGISTRY,
    [TABLE_KEYS.registrySortKey]: `${date}#${tenantId}#${subject}`,
  };
}
