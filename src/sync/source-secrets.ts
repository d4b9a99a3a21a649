/**
 * Client secrets of upstream sources, sealed with AES-256-GCM under SOURCES_KEY from the configuration.
 * Unlike the OAuth 1.0a client-secret key (src/auth/secret-box.ts), this key is not in the database:
 * a database dump alone does not hand out credentials for a district's SIS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 's1';

/** The 32-byte key from SOURCES_KEY (64 hex digits or base64/base64url); a clear error when it is missing or malformed. */
export function sourcesKey(configured: string | undefined): Buffer {
  if (!configured) throw new Error('SOURCES_KEY is not set: set it to 32 random bytes (e.g. `openssl rand -base64 32`) to store or use source secrets');
  const key = /^[0-9a-fA-F]{64}$/.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
  if (key.length !== 32) throw new Error('SOURCES_KEY must be 32 bytes: 64 hex digits or base64 of 32 bytes');
  return key;
}

/** `s1.iv.tag.ciphertext` (base64url parts); the source name is bound in, so a sealed secret cannot be moved to another source. */
export function sealSecret(key: Buffer, secret: string, sourceName: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(sourceName));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function openSecret(key: Buffer, sealed: string, sourceName: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  try {
    if (version !== VERSION || body === undefined) throw new Error('malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(sourceName));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`the client secret of source ${sourceName} cannot be opened with SOURCES_KEY (another key, or a damaged value)`);
  }
}
