/**
 * Sends JSON to a connector over HTTP and returns the classified result with
 * redacted request evidence.
 */
import type { Connector } from '../config.ts';
import { redactHeaders, redactUrl } from '../domain/redaction.ts';
import type { SendResult } from '../domain/retry.ts';

export interface ConnectorSend {
  result: SendResult;
  /** The request as it may be stored: no credential left in it. */
  request: { method: string; url: string; headers: Record<string, string> };
}

/**
 * POSTs `body` to the connector with an idempotency key, so that a receiver
 * can drop a repeated send. Network errors and timeouts are returned as a
 * result without a status, not thrown.
 */
export async function sendToConnector(
  connector: Connector,
  body: unknown,
  idempotencyKey: string,
): Promise<ConnectorSend> {
  const headers: Record<string, string> = {
    ...connector.headers,
    'content-type': 'application/json',
    'idempotency-key': idempotencyKey,
    'user-agent': 'closeout-health',
  };
  const request = {
    method: 'POST',
    url: redactUrl(connector.url),
    headers: redactHeaders(headers),
  };
  try {
    const response = await fetch(connector.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(connector.timeoutMs),
      redirect: 'manual',
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer();
    return {
      request,
      result: {
        statusCode: response.status,
        retryAfter: response.headers.get('retry-after'),
      },
    };
  } catch (error) {
    return { request, result: { error: describeFailure(error, connector) } };
  }
}

function describeFailure(error: unknown, connector: Connector): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `timed out after ${connector.timeoutMs} ms`;
  }
  const cause =
    error instanceof Error
      ? (error.cause as { code?: string } | undefined)
      : undefined;
  const detail =
    cause?.code ?? (error instanceof Error ? error.message : String(error));
  return `network error: ${detail}`;
}
