import type pg from 'pg';
import type { Database } from '../db/orm.js';

interface KnexClient {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(conn: pg.Client): Promise<void>;
}

/**
 * Runs `work` on one pooled connection of the ORM (same pool, same session settings). CSV import
 * and export need the raw pg client for COPY and for one explicit transaction spanning many
 * statements; the ORM's EntityManager cannot stream COPY.
 */
export async function withClient<T>(db: Database, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const knexClient = (db.orm.em.getKnex() as unknown as { client: KnexClient }).client;
  const conn = await knexClient.acquireConnection();
  try {
    return await work(conn);
  } finally {
    await knexClient.releaseConnection(conn);
  }
}

/**
 * Whether COPY ... FROM/TO STDIN/STDOUT works on this connection: not on PGlite, whose socket
 * server does not speak the COPY sub-protocol (also when it is reached through a DATABASE_URL).
 */
export async function supportsCopy(db: Database, client: pg.ClientBase): Promise<boolean> {
  if (db.embedded) return false;
  const { rows } = await client.query<{ v: string }>('select version() as v');
  return !/PGlite|emscripten/i.test(rows[0].v);
}
