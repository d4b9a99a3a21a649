import type { EntityManager } from '@mikro-orm/postgresql';

export type SqlRow = Record<string, unknown>;

/**
 * Runs one parameterised statement on the EntityManager's connection (inside its transaction, if
 * any). It goes through the ORM's knex instance and pool with real bind parameters: MikroORM's own
 * `execute` inlines parameters into the SQL text, which costs 6x on large batches.
 */
export async function runSql(em: EntityManager, sql: string, values: readonly unknown[] = []): Promise<SqlRow[]> {
  const query = em.getKnex().raw(sql, values as never);
  const trx = em.getTransactionContext();
  if (trx) query.transacting(trx);
  const result = (await query) as { rows: SqlRow[] };
  return result.rows;
}
