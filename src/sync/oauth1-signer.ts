/**
 * OAuth 1.0a request signing for OneRoster 1.1 sources (RFC 5849, two-legged): consumer key = client id,
 * consumer secret = client secret, no token, HMAC-SHA256 as the 1.1 REST binding names it. Every request
 * gets its own nonce and timestamp, so a retried request is a new signed request, never a replay.
 */
import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { normalizeBaseUrl, OAUTH1_SIGNATURE_METHOD } from '../auth/oauth1.js';

export class OAuth1Signer {
  private readonly oauth: OAuth;

  constructor(clientId: string, clientSecret: string) {
    this.oauth = new OAuth({
      consumer: { key: clientId, secret: clientSecret },
      signature_method: OAUTH1_SIGNATURE_METHOD,
      hash_function: (base, key) => createHmac('sha256', key).update(base).digest('base64'),
    });
  }

  /**
   * The `Authorization: OAuth …` value for `method url`. The signature covers the query parameters: they
   * are handed to the library decoded (its own URL parser neither decodes names nor turns `+` into a
   * space), with the URL normalised as RFC 5849 §3.4.1.2 asks (the verifier's own normalisation).
   */
  authorization(method: string, url: string): string {
    const parsed = new URL(url);
    const data: Record<string, string | string[]> = {};
    for (const [name, value] of parsed.searchParams) {
      const seen = data[name];
      data[name] = seen === undefined ? value : [...[seen].flat(), value];
    }
    const signed = this.oauth.authorize({ url: normalizeBaseUrl(url), method: method.toUpperCase(), data });
    return this.oauth.toHeader(signed).Authorization;
  }
}
