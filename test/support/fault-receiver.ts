/**
 * A connector receiver on 127.0.0.1 that misbehaves on purpose: it fails
 * some requests with 503, responds to some too late, can be restarted, and
 * accepts each idempotency key at most once, as a careful receiver would.
 */
import { createServer, type Server } from 'node:http';

export interface FaultReceiverOptions {
  /** Share of requests that get a 503. */
  failureRate: number;
  /** Share of requests that get their response only after `slowMs`. */
  slowRate: number;
  slowMs: number;
  /** Seed of the pseudo-random choices, so a failing run can be repeated. */
  seed: number;
}

export interface FaultReceiver {
  url: string;
  /** Deliveries accepted, by idempotency key. */
  accepted: Map<string, { deliveryId: string; tenantId: string }>;
  /** Requests whose key had been accepted before, and were dropped. */
  duplicates: string[];
  requests: number;
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Mulberry32: a small seeded generator of values in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultReceiver(
  options: FaultReceiverOptions,
): Promise<FaultReceiver> {
  const random = seededRandom(options.seed);
  const accepted = new Map<string, { deliveryId: string; tenantId: string }>();
  const duplicates: string[] = [];
  let requests = 0;
  let server: Server;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          requests += 1;
          const key = String(request.headers['idempotency-key'] ?? '');
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          const roll = random();
          const accept = () => {
            // A response that can no longer reach the client is not an
            // acceptance: the sender saw a timeout and will try again.
            if (response.destroyed || request.socket.destroyed) {
              return;
            }
            if (accepted.has(key)) {
              duplicates.push(key);
            } else {
              accepted.set(key, {
                deliveryId: body.deliveryId,
                tenantId: body.tenantId,
              });
            }
            response.writeHead(200).end('{}');
          };
          if (roll < options.failureRate) {
            response.writeHead(503).end('{}');
          } else if (roll < options.failureRate + options.slowRate) {
            setTimeout(accept, options.slowMs);
          } else {
            accept();
          }
        });
      });
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    duplicates,
    get requests() {
      return requests;
    },
    async restart(downMs) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await listen();
    },
    close: stop,
  };
}
