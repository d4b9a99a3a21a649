import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from 'knex';

/**
 * Which statements may go to a read replica (DATABASE_REPLICA_URL). Nothing does by default: an
 * EntityManager reads from a replica only once a GraphQL query or a REST GET has marked it
 * (`readFromReplica`), and even then `run` (src/db/sql.ts) uses the primary inside a transaction.
 * Writes, imports, authentication and everything else keep the primary, whose data is never behind.
 */
const replicaReaders = new WeakMap<EntityManager, Knex>();

/**
 * Marks `em` as a reader. The replica is picked here, once (the ORM picks one at random per call), so that
 * all statements of a request read one replica's consistent state.
 */
export const readFromReplica = (em: EntityManager): void => void replicaReaders.set(em, em.getKnex('read'));
/** The replica's knex `em` reads from, if it was marked; the primary's when no replica is configured. */
export const replicaOf = (em: EntityManager): Knex | undefined => replicaReaders.get(em);

/**
 * Read-your-writes: a client that has just written reads from the primary for `windowMs` after its
 * write, so that its next read shows the write even while a replica is behind. A write request reads
 * from the primary throughout.
 */
export class RecentWriters {
  private readonly until = new Map<string, number>();

  constructor(private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  noteWrite(clientId: string | undefined): void {
    if (this.windowMs <= 0) return;
    const now = this.now();
    // Forget expired windows as new ones come, so the map holds only the clients of the last window.
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
    this.until.set(clientId ?? '', now + this.windowMs);
  }

  wroteRecently(clientId: string | undefined): boolean {
    const until = this.until.get(clientId ?? '');
    return until !== undefined && until > this.now();
  }
}
