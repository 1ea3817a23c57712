import type { CloseoutEvidence, Delivery } from './model.ts';

/** The public-safe closeout evidence that a delivery sends to its connector. */
export interface CloseoutPayload {
  schema: 'closeout-health.closeout-evidence.v1';
  tenantId: string;
  deliveryId: string;
  attempt: number;
  closeoutId: string;
  releaseId: string;
  closeoutState: string;
  artifactBundle?: {
    bundleId: string;
    files: Array<{ name: string; sha256?: string }>;
  };
  retention?: {
    state: string;
    retainUntil?: string;
    legalHold: boolean;
  };
  publicEvidenceRefs: string[];
}

/**
 * Projects closeout evidence onto the fields that may leave the service:
 * ids, states, dates, digests and public references. Notes, owners' reasons
 * and connector settings are left out.
 */
export function buildCloseoutPayload(
  closeout: CloseoutEvidence,
  delivery: Delivery,
  attempt: number,
): CloseoutPayload {
  const bundle = closeout.artifactBundle;
  const retention = closeout.retention;
  return {
    schema: 'closeout-health.closeout-evidence.v1',
    tenantId: closeout.tenantId,
    deliveryId: delivery.deliveryId,
    attempt,
    closeoutId: closeout.closeoutId,
    releaseId: closeout.releaseId,
    closeoutState: closeout.closeoutState,
    ...(bundle && {
      artifactBundle: {
        bundleId: bundle.bundleId,
        files: bundle.files.map((file) =>
          file.sha256
            ? { name: file.name, sha256: file.sha256 }
            : { name: file.name },
        ),
      },
    }),
    ...(retention && {
      retention: {
        state: retention.state,
        ...(retention.retainUntil && { retainUntil: retention.retainUntil }),
        legalHold: retention.legalHold,
      },
    }),
    publicEvidenceRefs: closeout.publicEvidenceRefs,
  };
}
