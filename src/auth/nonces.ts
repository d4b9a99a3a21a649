/**
 * OAuth 1.0a nonces, kept in the database so a replay is refused by every process sharing it. A nonce
 * is remembered until its request's timestamp has left the accepted window (after that the timestamp
 * alone refuses the request); expired rows are purged at most once a minute per process.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql } from '../db/sql.js';

const PURGE_EVERY_MS = 60_000;

export class NonceStore {
  private lastPurge = 0;
  constructor(private readonly em: EntityManager, private readonly now: () => number = Date.now) {}

  /** True when the nonce is new for this client (or only an expired copy was left); false on replay. */
  async claim(clientId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const em = this.em.fork();
    const now = new Date(this.now());
    if (now.getTime() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = now.getTime();
      await run(em, sql`delete from oauth_nonces where expires_at < ${now}`);
    }
    const rows = await run(em, sql`insert into oauth_nonces (client_id, nonce, expires_at) values (${clientId}, ${nonce}, ${expiresAt})
       on conflict (client_id, nonce) do update set expires_at = excluded.expires_at where oauth_nonces.expires_at < ${now}
       returning client_id`);
    return rows.length === 1;
  }
}
