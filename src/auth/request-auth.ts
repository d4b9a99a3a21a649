import type { FastifyRequest } from 'fastify';
import type { OAuth1Verifier } from './oauth1-verifier.js';
import { ALL_SCOPES } from './scopes.js';
import type { SigningKeys } from './signing-keys.js';
import type { TokenGenerations } from './token-generations.js';
import { AuthError, extractBearerToken } from './tokens.js';
import { VerifiedTokens } from './verified-tokens.js';

export interface Principal { clientId?: string; scopes: ReadonlySet<string> }

export const ANONYMOUS: Principal = { scopes: new Set() };
const EVERYTHING: Principal = { clientId: 'auth-off', scopes: new Set(ALL_SCOPES) };

export interface AuthenticatorOptions {
  keys: SigningKeys;
  authDisabled: boolean;
  /** Refuses tokens of removed clients and tokens issued before a secret rotation. */
  generations?: TokenGenerations;
  /** OAuth 1.0a signatures, accepted where the caller allows them (the v1.1 REST paths). */
  oauth1?: OAuth1Verifier;
}

/** An OAuth 1.0a request: OAuth Authorization header, or the protocol parameters in the query string. */
export function isOAuth1Request(req: FastifyRequest): boolean {
  if (req.headers.authorization !== undefined) return /^OAuth\s/i.test(req.headers.authorization);
  return /(?:^|[?&])oauth_signature=/.test(req.url);
}

/**
 * Who is calling: the verified bearer token's client and scopes or, where `allowOAuth1`, the client
 * that signed the request. With AUTH=off (local development only) every scope is granted. Throws
 * AuthError for a missing or bad credential (and TooManyFailures from the OAuth 1.0a verifier).
 */
export class Authenticator {
  private readonly tokens: VerifiedTokens;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.tokens = new VerifiedTokens(opts.keys);
  }

  async authenticate(req: FastifyRequest, { allowOAuth1 = false } = {}): Promise<Principal> {
    if (this.opts.authDisabled) return EVERYTHING;
    if (allowOAuth1 && this.opts.oauth1 && isOAuth1Request(req)) {
      const [path, query = ''] = splitOnce(req.url, '?');
      // Authentication runs before the body is parsed, and no v1.1 route takes a form body (RFC 5849's
      // third place for parameters): they come in the header or the query string.
      const signed = await this.opts.oauth1.verify({
        method: req.method, url: `${req.protocol}://${req.host}${path}`, query, authorization: req.headers.authorization,
      }, req.ip);
      return { clientId: signed.clientId, scopes: new Set(signed.scopes) };
    }
    const verified = await this.tokens.verify(extractBearerToken(req.headers.authorization));
    if (verified.generation !== undefined && this.opts.generations
      && !(await this.opts.generations.isCurrent(verified.clientId, verified.generation))) {
      throw new AuthError('revoked', 'access token revoked (client removed or its secret rotated)');
    }
    return { clientId: verified.clientId, scopes: verified.scopes };
  }
}

function splitOnce(s: string, separator: string): [string, string?] {
  const at = s.indexOf(separator);
  return at < 0 ? [s] : [s.slice(0, at), s.slice(at + 1)];
}
