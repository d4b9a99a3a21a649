/**
 * Authenticates an OAuth 1.0a signed request (v1.1 REST paths) as one of the OAuth clients: key =
 * client_id, secret = client_secret, the client's own scopes.
 *
 * Order: failure limiter (429) → parameters → client and signature (failures count towards the
 * limiter) → timestamp window → nonce (claimed only once the signature is good, so strangers cannot
 * fill the nonce table).
 */
import type { SigningClient } from './clients.js';
import { credentialLimiterKeys, type FailureLimiter } from './failure-limiter.js';
import type { NonceStore } from './nonces.js';
import {
  OAUTH1_SIGNATURE_METHOD, collectParameters, hmacSha256Signature, signatureBaseString, signatureMatches, type SignedRequest,
} from './oauth1.js';
import { AuthError } from './tokens.js';

/** Accepted clock difference between the client's oauth_timestamp and ours, either way. */
export const OAUTH1_TIMESTAMP_WINDOW_SECONDS = 300;
const MAX_ID_LENGTH = 256;

/** Too many failed signatures from this address (or for this client from it). */
export class TooManyFailures extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many failed authentication attempts; retry later');
  }
}

export interface OAuth1VerifierOptions {
  findClient: (clientId: string) => Promise<SigningClient | null>;
  nonces: NonceStore;
  limiter: FailureLimiter;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
}

export class OAuth1Verifier {
  private readonly now: () => number;
  constructor(private readonly opts: OAuth1VerifierOptions) {
    this.now = opts.now ?? Date.now;
  }

  async verify(req: SignedRequest, address: string): Promise<{ clientId: string; scopes: string[] }> {
    const { protocol, signed } = collectParameters(req);
    const consumerKey = protocol.get('oauth_consumer_key');
    const limiterId = consumerKey && consumerKey.length <= MAX_ID_LENGTH ? consumerKey : undefined;
    const { all: limiterKeys, clientAtAddress } = credentialLimiterKeys(limiterId, address);
    const blocked = await this.opts.limiter.check(limiterKeys);
    if (blocked) throw new TooManyFailures(blocked.retryAfterSeconds);

    for (const name of ['oauth_consumer_key', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce']) {
      if (!protocol.get(name)) throw new AuthError('malformed', `OAuth parameter ${name} is missing`);
    }
    if (protocol.get('oauth_signature_method') !== OAUTH1_SIGNATURE_METHOD) {
      throw new AuthError('malformed', `oauth_signature_method must be ${OAUTH1_SIGNATURE_METHOD}`);
    }
    const version = protocol.get('oauth_version');
    if (version !== undefined && version !== '1.0') throw new AuthError('malformed', 'oauth_version must be 1.0');
    if (protocol.get('oauth_token')) throw new AuthError('malformed', 'oauth_token is not used: sign with the client secret alone');

    const client = limiterId !== undefined ? await this.opts.findClient(limiterId) : null;
    const expected = client?.secret ? hmacSha256Signature(signatureBaseString(req.method, req.url, signed), client.secret) : '';
    if (!client?.secret || !signatureMatches(expected, protocol.get('oauth_signature')!)) {
      await this.opts.limiter.recordFailure(limiterKeys);
      throw new AuthError('bad_signature', 'OAuth signature refused');
    }
    await this.opts.limiter.recordSuccess(clientAtAddress);

    const timestamp = protocol.get('oauth_timestamp')!;
    const nowSeconds = Math.floor(this.now() / 1000);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > OAUTH1_TIMESTAMP_WINDOW_SECONDS) {
      throw new AuthError('stale', `oauth_timestamp is more than ${OAUTH1_TIMESTAMP_WINDOW_SECONDS} s away from the server clock`);
    }
    const nonce = protocol.get('oauth_nonce')!;
    if (nonce.length > MAX_ID_LENGTH) throw new AuthError('malformed', 'oauth_nonce is too long');
    const expiresAt = new Date((Number(timestamp) + OAUTH1_TIMESTAMP_WINDOW_SECONDS) * 1000);
    if (!(await this.opts.nonces.claim(client.clientId, nonce, expiresAt))) {
      throw new AuthError('replayed', 'oauth_nonce was already used');
    }
    return { clientId: client.clientId, scopes: client.scopes };
  }
}
