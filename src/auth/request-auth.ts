import type { FastifyRequest } from 'fastify';
import { ALL_SCOPES } from './scopes.js';
import type { SigningKeys } from './signing-keys.js';
import { extractBearerToken, verifyAccessToken } from './tokens.js';

export interface Principal { clientId?: string; scopes: ReadonlySet<string> }

export const ANONYMOUS: Principal = { scopes: new Set() };
const EVERYTHING: Principal = { clientId: 'auth-off', scopes: new Set(ALL_SCOPES) };

/**
 * Who is calling: the verified bearer token's client and scopes. With AUTH=off (local development
 * only) every scope is granted. Throws AuthError for a missing or bad token.
 */
export async function authenticate(req: FastifyRequest, keys: SigningKeys, authDisabled: boolean): Promise<Principal> {
  if (authDisabled) return EVERYTHING;
  const token = extractBearerToken(req.headers.authorization);
  const verified = await verifyAccessToken(keys, token);
  return { clientId: verified.clientId, scopes: verified.scopes };
}
