/**
 * Access tokens: HS256 JWTs (RFC 9068 shape, `typ: at+jwt`) signed with the current signing key,
 * `kid` in the protected header so rotated-out keys still verify their tokens.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export type AuthErrorReason = 'missing' | 'malformed' | 'expired' | 'bad_signature' | 'unknown_key' | 'revoked' | 'stale' | 'replayed';

/** Why a bearer token was refused. The message never contains the token. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly reason: AuthErrorReason,
    message: string = reason,
  ) {
    super(message);
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface VerifiedToken {
  clientId: string;
  scopes: Set<string>;
  /** The client's token generation when the token was issued (`gen` claim); absent in tokens minted without one. */
  generation?: number;
  /** The signing key's id, and when the token expires (ms since the epoch). */
  kid: string;
  expiresAt: number;
}

const ALG = 'HS256';
const TYP = 'at+jwt';

export async function issueAccessToken(
  keys: SigningKeys,
  opts: { clientId: string; scopes: string[]; ttlSeconds: number; generation?: number; issuer?: string; now?: Date },
): Promise<TokenResponse> {
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive integer');
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const scope = [...new Set(opts.scopes)].join(' ');
  const claims: Record<string, unknown> = { scope, client_id: opts.clientId };
  if (opts.generation !== undefined) claims.gen = opts.generation;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ: TYP, kid: keys.current.kid })
    .setSubject(opts.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .setJti(randomUUID());
  if (opts.issuer) jwt.setIssuer(opts.issuer);
  return {
    access_token: await jwt.sign(keys.current.key),
    token_type: 'Bearer',
    expires_in: opts.ttlSeconds,
    scope,
  };
}

/** Map jose error codes onto our reasons; anything unrecognised is "malformed" (never "valid"). */
function reasonFor(err: unknown): AuthErrorReason {
  switch ((err as { code?: string } | null)?.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'bad_signature';
    default:
      return 'malformed';
  }
}

export async function verifyAccessToken(
  keys: SigningKeys,
  token: string | undefined | null,
  opts: { issuer?: string; now?: Date } = {},
): Promise<VerifiedToken> {
  if (!token) throw new AuthError('missing', 'no access token');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new AuthError('malformed', 'access token is not a JWS');
  }
  // Checked before any key lookup: `alg: none` and every other algorithm (RS256 with our HMAC key
  // as "public key", etc.) are refused outright. jwtVerify's `algorithms` re-checks it.
  if (header.alg !== ALG) throw new AuthError('bad_signature', 'unsupported token algorithm');
  if (typeof header.kid !== 'string') throw new AuthError('malformed', 'access token has no key id');
  const key = keys.byKid(header.kid);
  if (!key) throw new AuthError('unknown_key', 'access token signed with an unknown key');

  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [ALG],
      typ: TYP,
      issuer: opts.issuer,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      currentDate: opts.now,
    }));
  } catch (err) {
    const reason = reasonFor(err);
    throw new AuthError(reason, reason === 'expired' ? 'access token expired' : `access token refused (${reason})`);
  }
  if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string') {
    throw new AuthError('malformed', 'access token claims are invalid');
  }
  if (payload.gen !== undefined && !Number.isSafeInteger(payload.gen)) throw new AuthError('malformed', 'access token claims are invalid');
  return {
    clientId: payload.sub, scopes: new Set(payload.scope.split(' ').filter(Boolean)), generation: payload.gen as number | undefined,
    kid: header.kid, expiresAt: (payload.exp as number) * 1000,
  };
}

/**
 * Pulls the token out of an `Authorization: Bearer …` header (RFC 6750 §2.1; scheme is
 * case-insensitive). Absent header → `missing`; another scheme or junk → `malformed`.
 */
export function extractBearerToken(authorization: string | undefined): string {
  if (!authorization) throw new AuthError('missing', 'no Authorization header');
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
  if (!m) throw new AuthError('malformed', 'Authorization header is not a Bearer token');
  return m[1];
}
