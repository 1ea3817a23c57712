/**
 * A minimal OpenID Connect issuer on 127.0.0.1 for the JWT authorizer of the
 * deployed HTTP API. It serves the discovery document and a JWKS with one
 * RSA key, and signs RS256 access tokens with that key.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';

const ALGORITHM = 'RS256';

/** Claims of a token that the issuer signs. */
export interface TokenOptions {
  subject?: string;
  audience?: string;
  /** Space-separated OAuth scopes. */
  scope?: string;
  /** Lifetime, such as `10m`; see `SignJWT.setExpirationTime`. */
  expiresIn?: string;
}

export interface OidcIssuer {
  /** Issuer URL such as `http://127.0.0.1:40123`, the `iss` of its tokens. */
  issuer: string;
  /** Default `aud` claim of the tokens. */
  audience: string;
  /** Signs an access token with the issuer's published key. */
  signToken(options?: TokenOptions): Promise<string>;
  /**
   * Signs a token with the issuer's URL and key id but a key that the JWKS
   * does not publish, so that an authorizer must reject it.
   */
  signForgedToken(options?: TokenOptions): Promise<string>;
  /** Number of JWKS requests, to show that the authorizer fetched the keys. */
  jwksRequests(): number;
  close(): Promise<void>;
}

async function signWith(
  key: CryptoKey,
  keyId: string,
  issuer: string,
  defaultAudience: string,
  options: TokenOptions,
): Promise<string> {
  return new SignJWT({ scope: options.scope ?? 'closeout-health/api' })
    .setProtectedHeader({ alg: ALGORITHM, kid: keyId, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(options.audience ?? defaultAudience)
    .setSubject(options.subject ?? 'e2e-operator')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(key);
}

/**
 * Starts the issuer on a free port of 127.0.0.1.
 *
 * @param audience - the `aud` claim of the tokens, which the API's JWT
 *   authorizer lists in its audience.
 */
export async function startOidcIssuer(audience: string): Promise<OidcIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, {
    extractable: true,
  });
  const forged = await generateKeyPair(ALGORITHM);
  const keyId = `e2e-${randomUUID()}`;
  const publicJwk: JWK = {
    ...(await exportJWK(publicKey)),
    kid: keyId,
    alg: ALGORITHM,
    use: 'sig',
  };
  let jwksRequests = 0;
  let issuer = '';

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    let body: unknown;
    if (path === '/.well-known/openid-configuration') {
      body = {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [ALGORITHM],
      };
    } else if (path === '/.well-known/jwks.json') {
      jwksRequests += 1;
      body = { keys: [publicJwk] };
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          message: `Not found: ${path}. The issuer serves only its discovery document and JWKS.`,
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  issuer = `http://127.0.0.1:${port}`;

  return {
    issuer,
    audience,
    signToken: (options = {}) =>
      signWith(privateKey, keyId, issuer, audience, options),
    signForgedToken: (options = {}) =>
      signWith(forged.privateKey, keyId, issuer, audience, options),
    jwksRequests: () => jwksRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
