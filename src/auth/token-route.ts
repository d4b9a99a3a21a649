/**
 * `POST /oauth/token`: OAuth 2.0 client credentials grant (RFC 6749 §4.4, errors per §5.2).
 *
 * Order of checks: failure limiter (429) → request shape / grant_type (400) → client
 * authentication (401) → scope (400) → token. Only failed client authentication counts towards
 * the limiter; malformed requests and scope errors are not guessing attempts.
 *
 * Secrets and tokens never reach a log call or an error message. Presented client ids are logged
 * only once they match a known client, so an id/secret pasted the wrong way round is not logged.
 */
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../ops/db-unavailable.js';
import { credentialLimiterKeys, type FailureLimiter } from './failure-limiter.js';
import { expandScope } from './scopes.js';
import { generateClientSecret, hashSecret, verifySecret } from './secrets.js';
import type { SigningKeys } from './signing-keys.js';
import { issueAccessToken } from './tokens.js';

export interface ClientRecord {
  clientId: string;
  secretHash: string;
  /** Full scope URIs the client may be granted. */
  scopes: string[];
  /** Copied into issued tokens (`gen`) so that rotating the secret revokes them; see token-generations.ts. */
  tokenGeneration?: number;
}

export interface ClientLookup {
  find(clientId: string): Promise<ClientRecord | null>;
}

export interface TokenRouteOptions {
  keys: SigningKeys;
  clients: ClientLookup;
  ttlSeconds: number;
  limiter: FailureLimiter;
  /** Optional `iss` claim. */
  issuer?: string;
}

export const TOKEN_PATH = '/oauth/token';
export const WWW_AUTHENTICATE = 'Basic realm="oneroster-graph"';

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

// Longer ids are not looked up nor used as limiter keys (bounds memory per key).
const MAX_CLIENT_ID_LENGTH = 256;
/** A token request is a few short parameters; larger bodies are refused before they are read. */
export const TOKEN_BODY_LIMIT = 8 * 1024;

/** Thrown inside the handler, turned into an RFC 6749 §5.2 body by the scoped error handler. */
class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
const formDecode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));

function parseBasic(value: string): { clientId: string; secret: string } | null {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(value);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null; // bad percent-encoding
  }
}

function formParams(req: FastifyRequest): (name: string) => string | undefined {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new OAuthError('invalid_request', 'body must be application/x-www-form-urlencoded');
  }
  // §2.3.1/§3.2: parameters belong in the body, never in the URI (which ends up in access logs).
  if (Object.keys((req.query ?? {}) as object).length > 0) throw new OAuthError('invalid_request', 'parameters must not be sent in the URI');
  const body = (req.body ?? {}) as Record<string, unknown>;
  return (name) => {
    const v = body[name];
    if (v === undefined) return undefined;
    // §3.2: parameters must not be repeated (the form parser turns repeats into arrays).
    if (typeof v !== 'string') throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
    return v;
  };
}

export function tokenRoute(opts: TokenRouteOptions): FastifyPluginAsync {
  const { keys, clients, ttlSeconds, limiter, issuer } = opts;
  // Unknown client ids are verified against this hash too, so response time does not reveal
  // which client ids exist.
  let dummyHash: Promise<string> | undefined;

  return async (app) => {
    await app.register(formbody);
    dummyHash ??= hashSecret(generateClientSecret());

    // §5.1: token responses (and errors) must not be cached.
    app.addHook('onSend', async (_req, reply) => {
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    });

    app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      if (err instanceof OAuthError) {
        if (err.code === 'invalid_client') reply.code(401).header('WWW-Authenticate', WWW_AUTHENTICATE);
        else reply.code(400);
        return reply.send({ error: err.code, error_description: err.description });
      }
      const status = err.statusCode ?? 500;
      if (status === 413) return reply.code(413).send({ error: 'invalid_request', error_description: `request body exceeds ${TOKEN_BODY_LIMIT} bytes` });
      // Parser errors etc. The message is not echoed: it could quote the request body.
      if (status < 500) return reply.code(400).send({ error: 'invalid_request', error_description: 'malformed request' });
      if (isDatabaseUnavailable(err)) {
        return reply.code(503).header('Retry-After', '5').send({ error: 'temporarily_unavailable', error_description: DATABASE_UNAVAILABLE_MESSAGE });
      }
      req.log.error({ err }, 'token endpoint failure');
      return reply.code(500).send({ error: 'server_error' });
    });

    app.post(TOKEN_PATH, { bodyLimit: TOKEN_BODY_LIMIT }, async (req: FastifyRequest, reply: FastifyReply) => {
      const param = formParams(req);
      const authorization = req.headers.authorization;
      const basic = authorization !== undefined ? parseBasic(authorization) : undefined;
      // Body parameters are checked for NUL at the edge; Basic credentials are only decoded here.
      if (basic && /\0/.test(basic.clientId + basic.secret)) throw new OAuthError('invalid_request', 'credentials contain a NUL character');
      const bodyId = param('client_id');
      const bodySecret = param('client_secret');

      const presentedId = basic?.clientId ?? bodyId;
      const limiterId = presentedId && presentedId.length <= MAX_CLIENT_ID_LENGTH ? presentedId : undefined;
      const { all: limiterKeys, clientAtAddress: clientKeys } = credentialLimiterKeys(limiterId, req.ip);
      const blocked = await limiter.check(limiterKeys);
      if (blocked) {
        return reply
          .code(429)
          .header('Retry-After', String(blocked.retryAfterSeconds))
          .send({ error: 'temporarily_unavailable', error_description: 'too many failed attempts; retry later' });
      }

      const grantType = param('grant_type');
      if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required');
      if (grantType !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
      }

      // §2.3.1: one authentication method per request. A body client_id equal to the Basic one is tolerated.
      let credentials: { clientId: string; secret: string } | undefined;
      if (authorization !== undefined) {
        if (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic?.clientId)) {
          throw new OAuthError('invalid_request', 'use either HTTP Basic or body credentials, not both');
        }
        credentials = basic ?? undefined;
      } else if (bodyId !== undefined && bodySecret !== undefined) {
        credentials = { clientId: bodyId, secret: bodySecret };
      }

      const client =
        credentials && credentials.clientId.length <= MAX_CLIENT_ID_LENGTH ? await clients.find(credentials.clientId) : null;
      const ok = await verifySecret(credentials?.secret ?? '', client?.secretHash ?? (await dummyHash!));
      if (!credentials || !client || !ok) {
        await limiter.recordFailure(limiterKeys);
        req.log.warn({ clientId: client?.clientId, ip: req.ip }, 'token request: client authentication failed');
        throw new OAuthError('invalid_client', 'client authentication failed');
      }

      const allowed = new Set(client.scopes.map(normalizeScope));
      const requested = (param('scope') ?? '').split(' ').filter(Boolean);
      let granted: string[];
      if (requested.length === 0) {
        granted = [...allowed];
      } else {
        granted = [];
        for (const s of requested) {
          const uri = tryExpandScope(s);
          if (uri === undefined || !allowed.has(uri)) throw new OAuthError('invalid_scope', 'requested scope is unknown or not granted to this client');
          granted.push(uri);
        }
      }
      if (granted.length === 0) throw new OAuthError('invalid_scope', 'client has no scopes');

      await limiter.recordSuccess(clientKeys);
      const token = await issueAccessToken(keys, { clientId: client.clientId, scopes: granted, ttlSeconds, issuer, generation: client.tokenGeneration });
      req.log.info({ clientId: client.clientId, scope: token.scope }, 'access token issued');
      return reply.code(200).send(token);
    });
  };
}

function tryExpandScope(s: string): string | undefined {
  try {
    return expandScope(s);
  } catch {
    return undefined;
  }
}

/** Stored scopes should already be full URIs; tolerate short names, keep unknown ones verbatim. */
const normalizeScope = (s: string): string => tryExpandScope(s) ?? s;
