import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, rotateSigningKey, type SigningKeys } from '../../src/auth/signing-keys.js';
import { AuthError, extractBearerToken, issueAccessToken, verifyAccessToken } from '../../src/auth/tokens.js';
import { testDatabase } from '../support/db.js';

const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(48) } });
const scopes = [SCOPES['roster.readonly'], SCOPES['gradebook.readonly']];

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).reason;
  }
  throw new Error('expected an AuthError');
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('issueAccessToken / verifyAccessToken', () => {
  it('issues an HS256 token with kid, sub, scope and jti, which verifies', async () => {
    const res = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 600, issuer: 'https://or.test' });
    expect(res).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: scopes.join(' ') });
    expect(decodeProtectedHeader(res.access_token)).toMatchObject({ alg: 'HS256', kid: keys.current.kid, typ: 'at+jwt' });
    const claims = decodeJwt(res.access_token);
    expect(claims).toMatchObject({ sub: 'c1', scope: scopes.join(' '), iss: 'https://or.test' });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof claims.jti).toBe('string');

    const verified = await verifyAccessToken(keys, res.access_token, { issuer: 'https://or.test' });
    expect(verified).toEqual({ clientId: 'c1', scopes: new Set(scopes), kid: keys.current.kid, expiresAt: claims.exp! * 1000 });
  });

  it('gives every token its own jti', async () => {
    const a = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 60 });
    const b = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 60 });
    expect(decodeJwt(a.access_token).jti).not.toBe(decodeJwt(b.access_token).jti);
  });

  it('refuses a missing or garbage token', async () => {
    expect(await reasonOf(verifyAccessToken(keys, ''))).toBe('missing');
    expect(await reasonOf(verifyAccessToken(keys, undefined))).toBe('missing');
    expect(await reasonOf(verifyAccessToken(keys, 'not-a-jwt'))).toBe('malformed');
    expect(await reasonOf(verifyAccessToken(keys, 'a.b.c'))).toBe('malformed');
  });

  it('refuses a tampered payload', async () => {
    const { access_token } = await issueAccessToken(keys, { clientId: 'c1', scopes: [scopes[0]], ttlSeconds: 60 });
    const [h, p, s] = access_token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = b64({ ...claims, scope: scopes.join(' ') });
    expect(await reasonOf(verifyAccessToken(keys, [h, forged, s].join('.')))).toBe('bad_signature');
  });

  it('refuses an expired token', async () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const { access_token } = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 60, now });
    await expect(verifyAccessToken(keys, access_token, { now: new Date(now.getTime() + 59_000) })).resolves.toBeDefined();
    expect(await reasonOf(verifyAccessToken(keys, access_token, { now: new Date(now.getTime() + 61_000) }))).toBe('expired');
  });

  it('refuses a token signed with another key under the same kid', async () => {
    const other = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'x'.repeat(48) } });
    const impostor: SigningKeys = { current: { kid: keys.current.kid, key: other.current.key }, byKid: () => undefined };
    const { access_token } = await issueAccessToken(impostor, { clientId: 'c1', scopes, ttlSeconds: 60 });
    expect(await reasonOf(verifyAccessToken(keys, access_token))).toBe('bad_signature');
  });

  it('refuses an unknown kid and a token without kid', async () => {
    const other = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'x'.repeat(48) } });
    const { access_token } = await issueAccessToken(other, { clientId: 'c1', scopes, ttlSeconds: 60 });
    expect(await reasonOf(verifyAccessToken(keys, access_token))).toBe('unknown_key');

    const noKid = await new SignJWT({ scope: scopes[0] })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject('c1').setIssuedAt().setExpirationTime('1m').setJti('j')
      .sign(keys.current.key);
    expect(await reasonOf(verifyAccessToken(keys, noKid))).toBe('malformed');
  });

  it('refuses a hand-built alg=none token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'none', typ: 'at+jwt', kid: keys.current.kid });
    const payload = b64({ sub: 'c1', scope: scopes.join(' '), iat: now, exp: now + 600, jti: 'x' });
    expect(await reasonOf(verifyAccessToken(keys, `${header}.${payload}.`))).toBe('bad_signature');
    expect(await reasonOf(verifyAccessToken(keys, `${header}.${payload}`))).toMatch(/^(malformed|bad_signature)$/);
  });

  it('refuses other algorithms even with the right key (HS512)', async () => {
    const hs512 = await new SignJWT({ scope: scopes[0] })
      .setProtectedHeader({ alg: 'HS512', typ: 'at+jwt', kid: keys.current.kid })
      .setSubject('c1').setIssuedAt().setExpirationTime('1m').setJti('j')
      .sign(new Uint8Array(64).fill(1));
    expect(await reasonOf(verifyAccessToken(keys, hs512))).toBe('bad_signature');
  });

  it('refuses a JWT of another type or issuer', async () => {
    const idToken = await new SignJWT({ scope: scopes[0] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keys.current.kid })
      .setSubject('c1').setIssuedAt().setExpirationTime('1m').setJti('j')
      .sign(keys.current.key);
    expect(await reasonOf(verifyAccessToken(keys, idToken))).toBe('malformed');
    const { access_token } = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 60, issuer: 'https://a' });
    expect(await reasonOf(verifyAccessToken(keys, access_token, { issuer: 'https://b' }))).toBe('malformed');
  });

  it('AuthError messages never contain the token', async () => {
    const { access_token } = await issueAccessToken(keys, { clientId: 'c1', scopes, ttlSeconds: 60 });
    const tampered = access_token.slice(0, -2) + (access_token.endsWith('AA') ? 'BB' : 'AA');
    await expect(verifyAccessToken(keys, tampered)).rejects.not.toThrow(tampered.split('.')[2]);
  });
});

describe('rotation', () => {
  it('keeps tokens signed with the previous key valid; new tokens use the new kid', async () => {
    const db = await testDatabase();
    const before = await loadSigningKeys({ em: db.orm.em, env: {} });
    try {
      const old = await issueAccessToken(before, { clientId: 'c1', scopes, ttlSeconds: 600 });
      const after = await rotateSigningKey(db.orm.em);
      expect((await verifyAccessToken(after, old.access_token)).clientId).toBe('c1');
      const fresh = await issueAccessToken(after, { clientId: 'c2', scopes, ttlSeconds: 600 });
      expect(decodeProtectedHeader(fresh.access_token).kid).toBe(after.current.kid);
      expect(decodeProtectedHeader(fresh.access_token).kid).not.toBe(before.current.kid);
      expect((await verifyAccessToken(after, fresh.access_token)).clientId).toBe('c2');
      // A process that has not re-read the keys yet does not know the new kid.
      expect(await reasonOf(verifyAccessToken(before, fresh.access_token))).toBe('unknown_key');
    } finally {
      before.close?.();
      await db.close();
    }
  });
});

describe('extractBearerToken', () => {
  it('reads the token from a Bearer header, case-insensitive scheme', () => {
    expect(extractBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractBearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
  });

  it('missing vs malformed', () => {
    const reason = (h: string | undefined) => {
      try {
        extractBearerToken(h);
        return 'ok';
      } catch (e) {
        return (e as AuthError).reason;
      }
    };
    expect(reason(undefined)).toBe('missing');
    expect(reason('')).toBe('missing');
    expect(reason('Basic Zm9vOmJhcg==')).toBe('malformed');
    expect(reason('Bearer')).toBe('malformed');
    expect(reason('Bearer a b')).toBe('malformed');
  });
});
