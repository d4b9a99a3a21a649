/**
 * Reversible storage of client secrets for OAuth 1.0a: HMAC verification needs the secret itself, which
 * the scrypt hash cannot give back. Secrets are sealed with AES-256-GCM under one random server key,
 * created on first use in `server_settings` so every process on the database (servers, CLI) shares it.
 *
 * What this protects: the `oauth_clients` table alone (an export, a query log, a copied table) does not
 * reveal usable secrets. What it does not: a full database dump holds the key too, as any HMAC
 * verifier must hold the shared secret in some form.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../db/sql.js';

const KEY_SETTING = 'client-secret-key';
const VERSION = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The database's key, created (once, whoever comes first) if there is none. */
  static async load(em: EntityManager): Promise<SecretBox> {
    const fork = em.fork();
    const fresh = JSON.stringify({ key: randomBytes(32).toString('base64url') });
    await run(fork, sql`insert into server_settings (name, value) values (${KEY_SETTING}, ${fresh}::jsonb) on conflict (name) do nothing`);
    const [row] = await run(fork, sql`select value from server_settings where name = ${KEY_SETTING}`);
    const key = Buffer.from(String((row.value as { key?: unknown }).key ?? ''), 'base64url');
    if (key.length !== 32) throw new Error(`server_settings.${KEY_SETTING} is not a 32-byte key`);
    return new SecretBox(key);
  }

  /** `v1.iv.tag.ciphertext`, base64url parts; the client id is bound in as associated data. */
  seal(secret: string, clientId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(clientId));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The secret, or null when the value is malformed or was sealed under another key or client. */
  open(sealed: string, clientId: string): string | null {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || body === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(clientId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
