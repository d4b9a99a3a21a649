import { and, joined, sql, type Row, type Sql, type SqlSession } from '../db/sql.js';

/**
 * The CSV import's DDL: temporary tables (dropped at commit) and the keys, indexes and foreign keys
 * an initial load drops and rebuilds. Temporary tables are built by the SQL helper from
 * identifiers; a dropped structure is restored from the definition PostgreSQL itself gave
 * (pg_get_constraintdef / pg_get_indexdef), the one place SQL text is taken as it is.
 */

/** A temporary table of the given column definitions, dropped at commit. */
export async function createTempTable(session: SqlSession, table: string, columns: readonly (readonly [string, string])[], numbered = false) {
  const cols = columns.map(([name, type]) => sql`${sql.id(name)} ${SQL_TYPES[type] ?? fail(type)}`);
  const n = numbered ? [sql`n bigint generated always as identity`] : [];
  await session.run(sql`create temp table ${sql.table(table)} (${joined([...n, ...cols])}) on commit drop`);
}

/** A temporary table with the columns (and column defaults) of `table`, no keys or indexes, dropped at commit. */
export const createTempLike = (session: SqlSession, name: string, table: string) =>
  session.run(sql`create temp table ${sql.table(name)} (like ${sql.table(table)} including defaults) on commit drop`);

/** The column types the CSV tables use (columns.ts's sqlType), each written here once as SQL. */
const SQL_TYPES: Readonly<Record<string, Sql>> = {
  text: sql`text`, integer: sql`integer`, date: sql`date`, timestamptz: sql`timestamptz`, 'double precision': sql`double precision`,
  boolean: sql`boolean`, 'text[]': sql`text[]`, jsonb: sql`jsonb`,
};
const fail = (type: string): never => {
  throw new Error(`not a CSV column type: ${type}`);
};

export const dropTable = (session: SqlSession, table: string) => session.run(sql`drop table ${sql.table(table)}`);

/** A key, index or foreign key as the catalog defines it. */
export interface Structure { table: string; name: string; def: string }

/** Foreign keys on or into the tables, their secondary (non-unique) indexes, and their primary keys. */
export async function structures(session: SqlSession, tables: readonly string[], opts: { into?: boolean } = {}) {
  const on = sql`conrelid = any(${tables}::text[]::regclass[])`;
  const fkWhere = opts.into === false ? on : sql`(${on} or confrelid = any(${tables}::text[]::regclass[]))`;
  const rel = (oid: Sql) => sql`(select relname::text from pg_class where oid = ${oid})`;
  const fks = await session.run(sql`select ${rel(sql`conrelid`)} as table, conname::text as name, pg_get_constraintdef(oid) as def
    from pg_constraint where contype = 'f' and ${fkWhere} order by oid`);
  const indexes = await session.run(sql`select ${rel(sql`indrelid`)} as table, ${rel(sql`indexrelid`)} as name, pg_get_indexdef(indexrelid) as def
    from pg_index where indrelid = any(${tables}::text[]::regclass[]) and not indisprimary and not indisunique order by indexrelid`);
  const pks = await session.run(sql`select ${rel(sql`conrelid`)} as table, conname::text as name, pg_get_constraintdef(oid) as def
    from pg_constraint where contype = 'p' and conrelid = any(${tables}::text[]::regclass[])`);
  const typed = (rows: Row[]): Structure[] => rows.map((r) => ({ table: String(r.table), name: String(r.name), def: String(r.def) }));
  return { fks: typed(fks), indexes: typed(indexes), pks: typed(pks) };
}

export const dropConstraint = (session: SqlSession, k: Structure) =>
  session.run(sql`alter table ${sql.table(k.table)} drop constraint ${sql.id(k.name)}`);
export const dropIndex = (session: SqlSession, i: Structure) => session.run(sql`drop index ${sql.table(i.name)}`);
/** Re-adds a key or foreign key with the catalog's definition (a foreign key is validated: every row checked). */
export const addConstraint = (session: SqlSession, k: Structure) =>
  session.run(sql`alter table ${sql.table(k.table)} add constraint ${sql.id(k.name)} ${sql.raw(k.def)}`);
/** Rebuilds an index with the catalog's `create index ...` text. */
export const createIndex = (session: SqlSession, i: Structure) => session.run(sql.raw(i.def));

/**
 * A first load into empty tables: drops the keys, indexes and foreign keys on and into `tables` so that
 * rows go in without maintaining them, and gives back how to rebuild them: `restoreKey(table)` right away
 * for a table whose key later statements need, `restore()` the rest (keys, then indexes, then foreign
 * keys, whose re-adding validates every row). `fks` are the foreign keys dropped.
 */
export async function dropForLoad(session: SqlSession, tables: readonly string[]) {
  const { fks, indexes, pks } = await structures(session, tables);
  for (const k of fks) await dropConstraint(session, k);
  for (const i of indexes) await dropIndex(session, i);
  for (const k of pks) await dropConstraint(session, k);
  // Index and key builds sort; foreign-key validation runs its anti-join with maintenance_work_mem.
  await session.run(sql`set local maintenance_work_mem = '256MB'`);
  await session.run(sql`set local work_mem = '64MB'`);
  const restored = new Set<Structure>();
  const restoreKey = async (table: string) => {
    for (const k of pks.filter((p) => p.table === table && !restored.has(p))) {
      await addConstraint(session, k);
      restored.add(k);
    }
  };
  return {
    fks,
    restoreKey,
    restore: async () => {
      for (const k of pks) await restoreKey(k.table);
      for (const i of indexes) await createIndex(session, i);
      for (const k of fks) await addConstraint(session, k);
    },
  };
}

/** Whether every one of the tables is empty (an initial load). */
export async function tablesEmpty(session: SqlSession, tables: readonly string[]): Promise<boolean> {
  const [empty] = await session.run(sql`select ${and(tables.map((t) => sql`not exists (select 1 from ${sql.table(t)})`))} as yes`);
  return !!empty!.yes;
}
