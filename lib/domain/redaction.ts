/**
 * Redaction of request evidence before it is stored: no connector secret may
 * reach a record, a log line or an alert payload.
 */

export const REDACTED = '[redacted]';

const SECRET_HEADER_PATTERN =
  /^(authorization|proxy-authorization|cookie|x-api-key|api-key)$|token|secret|signature|key/i;

/** Hosts whose webhook URL paths carry the credential. */
const CHAT_WEBHOOK_HOSTS = [
  /(^|\.)hooks\.slack\.com$/i,
  /(^|\.)webhook\.office\.com$/i,
  /(^|\.)logic\.azure\.com$/i,
  /(^|\.)events\.pagerduty\.com$/i,
];

/**
 * Returns the URL without query string, fragment or user info, and with the
 * path replaced when the host is a chat webhook whose path is the secret.
 * A value that is not a URL is replaced as a whole.
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return REDACTED;
  }
  // A fully qualified name such as `hooks.slack.com.` names the same host.
  const hostname = url.hostname.replace(/\.$/, '');
  const isChatWebhook = CHAT_WEBHOOK_HOSTS.some((host) => host.test(hostname));
  const path = isChatWebhook ? `/${REDACTED}` : url.pathname;
  const query = url.search ? `?${REDACTED}` : '';
  return `${url.protocol}//${url.host}${path}${query}`;
}

/** Returns a copy of the headers with every credential-bearing value replaced. */
export function redactHeaders(
  headers: Record<string, string>,
): Record<string, string> {
  const redacted: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    redacted[name] = SECRET_HEADER_PATTERN.test(name) ? REDACTED : value;
  }
  return redacted;
}
