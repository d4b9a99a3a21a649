import type { EntityManager } from '@mikro-orm/postgresql';
import type { Knex } from 'knex';
import type pg from 'pg';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type RawBuilder } from 'kysely';
import { replicaOf } from './replica-reads.js';

/**
 * The one way the application writes SQL: Kysely's `sql` template (values are always bound;
 * identifiers go through `sql.ref`/`sql.table`/`sql.id`, never into the text), compiled here and run
 * on the ORM's pool so that a statement inside a transaction uses the transaction's connection.
 * COPY and migrations are the only statements written as plain text elsewhere.
 */
export { sql };
export type Sql = RawBuilder<unknown>;
/** A row as statements return it: column (or alias) to value. The one row type of the application. */
export type Row = Record<string, unknown>;

/**
 * Kysely compiles PostgreSQL's `$1` placeholders; the ORM's knex pool numbers `?` placeholders itself.
 * Overriding the placeholder is the extension point Kysely's compilers are built for.
 */
class KnexPlaceholderCompiler extends PostgresQueryCompiler {
  protected override getCurrentParameterPlaceholder(): string {
    return '?';
  }
}

/** A compiler only; it never connects (DummyDriver). */
const compilerWith = (createQueryCompiler: () => PostgresQueryCompiler) => new Kysely<Record<string, never>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler,
  },
});
const forKnex = compilerWith(() => new KnexPlaceholderCompiler());
const forPg = compilerWith(() => new PostgresQueryCompiler());

export interface CompiledSql { text: string; values: readonly unknown[] }

/** Text with `?` placeholders, for the ORM's pool (`run`). */
export function compile(statement: Sql): CompiledSql {
  const { sql: text, parameters } = statement.compile(forKnex);
  return { text, values: parameters };
}

/** Text with `$1` placeholders, for a pg client of its own (`runOnClient`). */
export function compileForPg(statement: Sql): CompiledSql {
  const { sql: text, parameters } = statement.compile(forPg);
  return { text, values: parameters };
}

/** `a.b` as a quoted reference; both parts come from the model, never from a request. */
export const column = (alias: string, name: string): Sql => sql.ref(`${alias}.${name}`);
/** A table with its alias: `"users" as "t"`. */
export const tableAs = (table: string, alias: string): Sql => sql`${sql.table(table)} as ${sql.id(alias)}`;
/** Pieces joined by `separator` (default `, `); `and`/`or` lists wrap each piece in parentheses. */
export const joined = (pieces: readonly Sql[], separator = sql`, `): Sql => sql.join(pieces, separator);
export const and = (pieces: readonly Sql[]): Sql =>
  pieces.length ? sql`(${sql.join(pieces.map((p) => sql`(${p})`), sql` and `)})` : sql`true`;
export const or = (pieces: readonly Sql[]): Sql =>
  pieces.length ? sql`(${sql.join(pieces.map((p) => sql`(${p})`), sql` or `)})` : sql`false`;

/**
 * Runs one statement on the EntityManager's connection (inside its transaction, if any; on a read
 * replica when the EntityManager is marked for it, src/db/replica-reads.ts), through the
 * ORM's knex pool with real bind parameters: MikroORM's own `execute` inlines parameters into the
 * text, which costs 6x on large batches.
 */
export async function run(em: EntityManager, statement: Sql): Promise<Row[]> {
  const { text, values } = compile(statement);
  return runCompiled(em, text, values);
}

let inFlight = 0;
/** Statements running or waiting for a connection of the ORM's pool right now (the metrics' pool gauges). */
export const statementsInFlight = () => inFlight;

async function runCompiled(em: EntityManager, text: string, values: readonly unknown[]): Promise<Row[]> {
  const trx = em.getTransactionContext<Knex.Transaction>();
  // A replica only for an EntityManager marked as a reader (src/db/replica-reads.ts), and never inside a
  // transaction, which lives on the primary.
  const knex = (!trx && replicaOf(em)) || em.getKnex();
  // Kysely types parameters as unknown; pg serialises whatever values the template was given.
  const query = knex.raw(text, values as readonly Knex.RawBinding[]);
  if (trx) query.transacting(trx);
  inFlight++;
  try {
    const result: { rows: Row[] } = await query;
    return result.rows;
  } finally {
    inFlight--;
  }
}

/** Runs one statement on a pg client held by the caller (a COPY session, a dedicated connection). */
export async function runOnClient(client: pg.ClientBase, statement: Sql): Promise<Row[]> {
  const { text, values } = compileForPg(statement);
  // pg's typings want a mutable array; it only reads it.
  return (await client.query<Row>(text, values as unknown[])).rows;
}

/** Where statements go: the EntityManager (its transaction, if any) or a client the caller holds. */
export interface SqlSession { run(statement: Sql): Promise<Row[]> }
export const emSession = (em: EntityManager): SqlSession => ({ run: (statement) => run(em, statement) });
export const clientSession = (client: pg.ClientBase): SqlSession => ({ run: (statement) => runOnClient(client, statement) });
