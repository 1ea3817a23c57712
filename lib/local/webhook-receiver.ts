/**
 * A webhook receiver on 127.0.0.1 that replaces the connectors in local runs.
 * It stores every request and counts requests by idempotency key.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  receivedAt: string;
}

export interface WebhookReceiver {
  /** Base URL such as `http://127.0.0.1:40123`. */
  url: string;
  requests: ReceivedRequest[];
  /** Requests received for each `idempotency-key` header. */
  countByIdempotencyKey(): Map<string, number>;
  close(): Promise<void>;
}

/** A response of the receiver: a status code, or a status with headers. */
export type ReceiverResponse =
  | number
  | { status: number; headers?: Record<string, string> };

/**
 * Starts a receiver that responds to every POST with `respond(request)`,
 * status 200 by default.
 */
export async function startWebhookReceiver(
  respond: (request: ReceivedRequest) => ReceiverResponse = () => 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Keep a non-JSON body as text.
      }
      const received = {
        path: request.url ?? '/',
        headers: request.headers,
        body,
        receivedAt: new Date().toISOString(),
      };
      requests.push(received);
      const answer = respond(received);
      const { status, headers = {} } =
        typeof answer === 'number' ? { status: answer } : answer;
      response.writeHead(status, {
        ...headers,
        'content-type': 'application/json',
      });
      response.end(JSON.stringify({ received: status < 300 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    countByIdempotencyKey() {
      const counts = new Map<string, number>();
      for (const item of requests) {
        const key = String(item.headers['idempotency-key'] ?? '');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return counts;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
