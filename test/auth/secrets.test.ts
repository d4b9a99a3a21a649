import { describe, expect, it } from 'vitest';
import { generateClientId, generateClientSecret, hashSecret, verifySecret } from '../../src/auth/secrets.js';

describe('hashSecret / verifySecret', () => {
  it('round-trips and refuses a wrong secret', async () => {
    const stored = await hashSecret('correct horse battery staple');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(stored).not.toContain('correct horse');
    expect(await verifySecret('correct horse battery staple', stored)).toBe(true);
    expect(await verifySecret('correct horse battery stapl', stored)).toBe(false);
    expect(await verifySecret('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashSecret('same'), hashSecret('same')]);
    expect(a).not.toBe(b);
    expect(await verifySecret('same', b)).toBe(true);
  });

  it('treats malformed or hostile stored values as a mismatch', async () => {
    const stored = await hashSecret('s');
    const parts = stored.split('$');
    for (const bad of [
      '',
      'plain-text',
      parts.slice(0, 5).join('$'),
      ['bcrypt', ...parts.slice(1)].join('$'),
      ['scrypt', '1073741824', ...parts.slice(2)].join('$'), // huge N: refused, not attempted
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 5), ''].join('$'),
    ]) {
      expect(await verifySecret('s', bad)).toBe(false);
    }
  });
});

describe('credential generation', () => {
  it('client secrets are base64url of 32 random bytes', () => {
    const s = generateClientSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(generateClientSecret()).not.toBe(s);
  });

  it('client ids are unique, contain no ":" (Basic auth separator) and never start like a CLI option', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateClientId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
  });
});
