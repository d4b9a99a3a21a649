/**
 * OAuth 1.0a request signatures (RFC 5849), as OneRoster 1.1 consumers send them: HMAC-SHA256 with the
 * client secret as consumer secret and no token (two-legged). SHA-1 is refused: the 1.1 REST binding
 * names HMAC-SHA256, and /work/shared/oneroster/rest.md records nothing that allows SHA-1.
 *
 * This file is the pure part: collecting the parameters (Authorization header, query string, form
 * body), the signature base string, and the signature check. oauth1-verifier.ts adds clients, clock,
 * nonces and the failure limiter.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { AuthError } from './tokens.js';

export const OAUTH1_SIGNATURE_METHOD = 'HMAC-SHA256';

export interface SignedRequest {
  method: string;
  /** Scheme, host (with its port) and path, as the client addressed them: `https://sis.example/ims/…`. */
  url: string;
  /** The raw query string, without `?`. */
  query: string;
  authorization?: string;
  /** The raw body, only when it is application/x-www-form-urlencoded (RFC 5849 §3.4.1.3.1). */
  formBody?: string;
}

export interface OAuthParameters {
  /** Every `oauth_*` protocol parameter, once each (`oauth_signature` included). */
  protocol: Map<string, string>;
  /** Everything that enters the base string: all parameters but `oauth_signature` and the header's `realm`. */
  signed: Array<[string, string]>;
}

const malformed = (message: string) => new AuthError('malformed', message);

/** Form decoding (§3.4.1.3.1): `+` is a space, then percent-decoding. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw malformed('OAuth parameters are not validly percent-encoded');
  }
}

function parseForm(text: string): Array<[string, string]> {
  if (text === '') return [];
  return text.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [formDecode(pair), ''] : [formDecode(pair.slice(0, eq)), formDecode(pair.slice(eq + 1))];
  });
}

/** `OAuth realm="x", oauth_consumer_key="k", …` (§3.5.1); values are percent-encoded, quoted. */
export function parseAuthorizationHeader(header: string): Array<[string, string]> {
  const m = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!m) throw malformed('Authorization header is not an OAuth header');
  const params: Array<[string, string]> = [];
  for (const part of m[1].split(',')) {
    if (part.trim() === '') continue;
    const kv = /^\s*([^\s=]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) throw malformed('OAuth Authorization header is malformed');
    try {
      params.push([decodeURIComponent(kv[1]), decodeURIComponent(kv[2])]);
    } catch {
      throw malformed('OAuth parameters are not validly percent-encoded');
    }
  }
  return params;
}

export function collectParameters(req: SignedRequest): OAuthParameters {
  const fromHeader = req.authorization && /^OAuth\s/i.test(req.authorization)
    ? parseAuthorizationHeader(req.authorization).filter(([name]) => name !== 'realm')
    : [];
  const all = [...fromHeader, ...parseForm(req.query), ...parseForm(req.formBody ?? '')];
  const protocol = new Map<string, string>();
  for (const [name, value] of all) {
    if (!name.startsWith('oauth_')) continue;
    // §3.5: each protocol parameter once, in one place; two values would leave it open which one counts.
    if (protocol.has(name)) throw malformed(`OAuth parameter ${name} is repeated`);
    protocol.set(name, value);
  }
  return { protocol, signed: all.filter(([name]) => name !== 'oauth_signature') };
}

// The library builds the base string (sorting, encoding, repeated names); it is only given decoded
// parameters, because its own query parser neither decodes names nor turns `+` into a space.
const baseStringBuilder = new OAuth({
  consumer: { key: '', secret: '' },
  signature_method: OAUTH1_SIGNATURE_METHOD,
  hash_function: () => '',
});

/** Lower-case scheme and host, default port dropped (§3.4.1.2). */
export function normalizeBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw malformed('the request URL (Host header) cannot be normalised for the OAuth signature');
  }
  const defaultPort = (u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443');
  const port = u.port && !defaultPort ? `:${u.port}` : '';
  return `${u.protocol}//${u.hostname.toLowerCase()}${port}${u.pathname || '/'}`;
}

export function signatureBaseString(method: string, url: string, signed: Array<[string, string]>): string {
  const data: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of signed) {
    const seen = data[name];
    data[name] = seen === undefined ? value : [...[seen].flat(), value];
  }
  // oauth-1.0a types its second argument as a full set of oauth_* fields; every parameter travels in
  // `data` (as it arrived, oauth_version may be absent), so the library's own set is empty.
  const none = {} as OAuth.Data;
  return baseStringBuilder.getBaseString({ method: method.toUpperCase(), url: normalizeBaseUrl(url), data }, none);
}

export function hmacSha256Signature(baseString: string, consumerSecret: string): string {
  // §3.4.2: key = encoded consumer secret & encoded token secret (empty: there is no token).
  const key = `${baseStringBuilder.percentEncode(consumerSecret)}&`;
  return createHmac('sha256', key).update(baseString).digest('base64');
}

export function signatureMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
