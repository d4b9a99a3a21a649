import type { EntityManager } from '@mikro-orm/postgresql';
import { columnOf, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { and, emSession, joined, sql, type Row, type Sql, type SqlSession } from './sql.js';

/**
 * The one write path. Seed, the CSV import's careful path, gradebook writes (PUT/POST/DELETE) and the
 * coming aggregator sync all write records through `upsert` and mark them deleted through
 * `tombstone`, so "what a write does" (conflict rule, unchanged records keeping their
 * dateLastModified, deletion as a status) is decided here once. Both take a SqlSession: the
 * EntityManager's transaction (`emSession(tx)`) or a connection the caller holds (`clientSession`).
 */

export type { Row };

const BATCH = 5000;

/** The table columns of an entity, in the order `toColumns` fills them. */
export function entityColumns(name: EntityName): string[] {
  const def = entityDef(name);
  return [...(def.base ? ['sourced_id', 'status', 'date_last_modified', 'metadata'] : []),
    ...Object.entries(def.fields).map(([prop, f]) => columnOf(prop, f))];
}

/** The conflict key: sourcedId for OneRoster records, every column for a keyless link row. */
export function entityKey(name: EntityName): string[] {
  const def = entityDef(name);
  return def.base ? ['sourced_id'] : Object.entries(def.fields).map(([p, f]) => columnOf(p, f));
}

/**
 * A row keyed by property names as one keyed by column names (jsonb_populate_recordset reads it):
 * blank status is active, blank dateLastModified is now, a missing property is NULL.
 */
export function toColumns(name: EntityName, row: Row, now = new Date().toISOString()): Row {
  const def = entityDef(name);
  const out: Row = {};
  if (def.base) {
    out.sourced_id = row.sourcedId;
    out.status = row.status ?? 'active';
    out.date_last_modified = row.dateLastModified ?? now;
    out.metadata = row.metadata ?? null;
  }
  for (const [prop, column] of propertyColumns(name)) {
    const v = row[prop];
    out[column] = v === undefined ? null : v;
  }
  return out;
}

const propertyColumnsOf = new Map<EntityName, readonly (readonly [string, string])[]>();
/** An entity's fields as [property, column] pairs, computed once (toColumns runs per row of bulk writes). */
function propertyColumns(name: EntityName) {
  let pairs = propertyColumnsOf.get(name);
  if (!pairs) propertyColumnsOf.set(name, (pairs = Object.entries(entityDef(name).fields).map(([prop, f]) => [prop, columnOf(prop, f)] as const)));
  return pairs;
}

/** Rows already keyed by column as a source for `upsert`: one JSON parameter expanded into the table's row type. */
export const jsonRows = (table: string, columns: readonly string[], rows: readonly Row[]): Sql =>
  sql`select ${joined(columns.map((c) => sql.ref(`r.${c}`)))}
    from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) r`;

export interface Upsert {
  table: string;
  /** The columns written, in the order `rows` yields them. */
  columns: readonly string[];
  /** A select yielding the rows (JSON rows, a staging table, ...). */
  rows: Sql;
  /** The conflict target. */
  key: readonly string[];
  /**
   * On a key already present: `update` its other columns, `ignore` the row, or `fail` (a plain
   * insert, for an empty table or rows known to be new: a duplicate is then an error).
   */
  onConflict: 'update' | 'ignore' | 'fail';
  /**
   * With `update`: only a record whose values in these columns differ is updated, so an unchanged
   * record keeps its dateLastModified (and stays out of delta exports and syncs).
   */
  onlyWhenChanged?: readonly string[];
}

/** The insert statement of an upsert, ending in `returning` the given expression. */
export function upsertStatement(u: Upsert, returning: Sql): Sql {
  const table = sql.table(u.table);
  const col = (c: string) => sql.id(c);
  const excluded = (c: string) => sql.ref(`excluded.${c}`);
  const updated = u.columns.filter((c) => !u.key.includes(c));
  let conflict = sql``;
  if (u.onConflict === 'ignore' || (u.onConflict === 'update' && !updated.length)) {
    conflict = sql`on conflict (${joined(u.key.map(col))}) do nothing`;
  } else if (u.onConflict === 'update') {
    const changed = u.onlyWhenChanged?.length
      ? sql`where (${joined(u.onlyWhenChanged.map((c) => sql.ref(`${u.table}.${c}`)))}) is distinct from (${joined(u.onlyWhenChanged.map(excluded))})`
      : sql``;
    conflict = sql`on conflict (${joined(u.key.map(col))}) do update set ${joined(updated.map((c) => sql`${col(c)} = ${excluded(c)}`))} ${changed}`;
  }
  return sql`insert into ${table} (${joined(u.columns.map(col))}) ${u.rows} ${conflict} returning ${returning}`;
}

/** Inserts or updates rows set-based; counts the rows written and, of those, the ones created. */
export async function upsert(session: SqlSession, u: Upsert): Promise<{ written: number; created: number }> {
  // (xmax = 0): the row was inserted, not updated. One row comes back, not one per record.
  const [r] = await session.run(sql`with w as (${upsertStatement(u, sql`(xmax = 0) as created`)})
    select count(*)::int as written, (count(*) filter (where created))::int as created from w`);
  return { written: Number(r.written), created: Number(r.created) };
}

/** `upsert` returning the sourcedIds of the records it inserted or updated (with `onlyWhenChanged`: the changed ones). */
export async function upsertWritten(session: SqlSession, u: Upsert): Promise<string[]> {
  const rows = await session.run(upsertStatement(u, sql.ref('sourced_id')));
  return rows.map((r) => String(r.sourced_id));
}

/**
 * Upserts entity rows keyed by property names (seed, gradebook, tests), in batches of one JSON
 * parameter each. `update` replaces an existing record's columns (a PUT); `fail` is a plain insert.
 */
export async function upsertRows(session: SqlSession, name: EntityName, rows: readonly Row[],
  onConflict: Upsert['onConflict'] = 'fail'): Promise<{ written: number; created: number }> {
  const { table } = entityDef(name);
  const columns = entityColumns(name);
  const key = entityKey(name);
  const total = { written: 0, created: 0 };
  const now = new Date().toISOString();
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((r) => toColumns(name, r, now));
    const n = await upsert(session, { table, columns, rows: jsonRows(table, columns, batch), key, onConflict });
    total.written += n.written;
    total.created += n.created;
  }
  return total;
}

/** `upsertRows` on an EntityManager (inside its transaction, if any); kept for tests and callers holding one. */
export async function insertRows(em: EntityManager, name: EntityName, rows: Row[], opts: { upsert?: boolean } = {}): Promise<number> {
  await upsertRows(emSession(em), name, rows, opts.upsert ? 'update' : 'fail');
  return rows.length;
}

/**
 * Marks the live records of `table` that match `where` (over the table, alias `t`) as deleted:
 * status `tobedeleted` and dateLastModified `at`, so delta consumers learn of the deletion. Records
 * are never removed. Already deleted records are left as they are (a retried delete changes
 * nothing). Returns the sourcedIds marked.
 */
export async function tombstone(session: SqlSession, table: string, where: Sql, at: Sql): Promise<string[]> {
  const rows = await session.run(sql`update ${sql.table(table)} as t set status = 'tobedeleted', date_last_modified = ${at}
    where ${and([sql`t.status <> 'tobedeleted'`, where])} returning t.sourced_id`);
  return rows.map((r) => String(r.sourced_id));
}

/** Like `tombstone`, counting instead of listing (bulk imports mark many records). */
export async function tombstoneCount(session: SqlSession, table: string, where: Sql, at: Sql): Promise<number> {
  const [r] = await session.run(sql`with m as (
      update ${sql.table(table)} as t set status = 'tobedeleted', date_last_modified = ${at}
      where ${and([sql`t.status <> 'tobedeleted'`, where])} returning 1)
    select count(*)::int as n from m`);
  return Number(r.n);
}

/** A timestamp parameter for `tombstone`'s `at`, or the transaction's start (`now()`). */
export const at = (iso?: string): Sql => (iso ? sql`${iso}::timestamptz` : sql`now()`);
