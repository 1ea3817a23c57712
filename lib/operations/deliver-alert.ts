import * as z from 'zod';
import { sendToConnector } from '../adapters/connector-client.ts';
import type {
  AlertDeliveryEvidence,
  EvidenceRepository,
} from '../adapters/evidence-repository.ts';
import type { Connector } from '../config.ts';
import type { AlertPlan } from '../domain/alert-plan.ts';
import { classifySend } from '../domain/retry.ts';

/** The fields of a published alert plan that the consumer relies on. */
export const AlertPlanMessageSchema = z.looseObject({
  tenantId: z.string().min(1),
  alertPlanId: z.string().min(1),
  routes: z.array(z.string().min(1)),
  payload: z.looseObject({ alertPlanId: z.string().min(1) }),
});

/** An SNS notification as SQS receives it without raw delivery. */
export const SnsEnvelopeSchema = z.looseObject({
  Type: z.literal('Notification'),
  MessageId: z.string(),
  Message: z.string(),
});

export interface RouteOutcome {
  route: string;
  state: 'delivered' | 'failed' | 'already_delivered';
  statusCode?: number | undefined;
}

/** Raised when a route failed in a way that a later attempt may fix. */
export class RetryableDeliveryError extends Error {
  override readonly name = 'RetryableDeliveryError';
}

/**
 * Sends an alert plan to each of its routes and stores redacted evidence of
 * every send. A route that has delivered evidence is skipped, so a repeated
 * message sends nothing twice.
 *
 * @throws RetryableDeliveryError after all routes were tried, when one
 *   failed with a retryable result; the message then goes back to the queue.
 */
export async function deliverAlert(
  repository: EvidenceRepository,
  resolveConnector: (route: string) => Promise<Connector | undefined>,
  plan: Pick<AlertPlan, 'tenantId' | 'alertPlanId' | 'routes'> & {
    payload: unknown;
  },
  now: () => Date,
): Promise<RouteOutcome[]> {
  const outcomes: RouteOutcome[] = [];
  const retryable: string[] = [];

  for (const route of plan.routes) {
    const stored = await repository.getAlertDeliveryEvidence(
      plan.tenantId,
      plan.alertPlanId,
      route,
    );
    if (stored?.state === 'delivered') {
      outcomes.push({ route, state: 'already_delivered' });
      continue;
    }
    const connector = await resolveConnector(route);
    const base = {
      tenantId: plan.tenantId,
      alertPlanId: plan.alertPlanId,
      route,
    };
    if (!connector) {
      await repository.putAlertDeliveryEvidence({
        ...base,
        state: 'failed',
        request: { method: 'POST', url: '', headers: {} },
        error: `no connector is configured for route ${route}; add it to CONNECTORS`,
        recordedAt: now().toISOString(),
      });
      outcomes.push({ route, state: 'failed' });
      continue;
    }

    const sent = await sendToConnector(
      connector,
      plan.payload,
      `${plan.alertPlanId}:${route}`,
    );
    const classification = classifySend(sent.result, now());
    const evidence: AlertDeliveryEvidence = {
      ...base,
      state:
        classification.classification === 'delivered' ? 'delivered' : 'failed',
      request: sent.request,
      response:
        sent.result.statusCode === undefined
          ? undefined
          : { statusCode: sent.result.statusCode },
      error: sent.result.error,
      recordedAt: now().toISOString(),
    };
    await repository.putAlertDeliveryEvidence(evidence);
    outcomes.push({
      route,
      state: evidence.state,
      statusCode: sent.result.statusCode,
    });
    if (classification.classification === 'retryable') {
      retryable.push(route);
    }
  }

  if (retryable.length > 0) {
    throw new RetryableDeliveryError(
      `Alert plan ${plan.alertPlanId} failed on routes ${retryable.join(', ')}; the message will be retried.`,
    );
  }
  return outcomes;
}
