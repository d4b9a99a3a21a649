/**
 * Where a run's checked rows wait for the apply: staging tables in the `sync_stage` schema, one per
 * entity, shaped like the entity's own table (`r<run>_<table>`), plus one of tombstones. Each page's
 * rows leave the process as soon as they are read (COPY on a PostgreSQL server, batched inserts on the
 * embedded database), so a run holds one page in memory, not the whole upstream; the apply then
 * checks and writes set-based from these tables (apply.ts). They are ordinary committed tables, so
 * the apply's transaction on any connection sees them; the run drops them at its end, and a run of the
 * same source drops what a crashed earlier run left.
 */
import pg from 'pg';
import { entityColumns, jsonRows, toColumns } from '../db/bulk.js';
import type { Database } from '../db/orm.js';
import { clientSession, emSession, joined, run, sql, type Row, type Sql, type SqlSession } from '../db/sql.js';
import { copyRows } from '../csv/copy.js';
import { speaksCopy } from '../csv/connection.js';
import { copyValue, escapeText } from '../csv/stage.js';
import { columnOf, isRef, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { PART_OWNERS, type Batch } from './records.js';

const SCHEMA = 'sync_stage';
const INSERT_BATCH = 5000;

type Cell = (v: unknown) => string;
const nullable = (cell: Cell): Cell => (v) => (v === null || v === undefined ? '\\N' : cell(v));
const asText: Cell = nullable((v) => escapeText(String(v)));
const asJson: Cell = nullable((v) => escapeText(JSON.stringify(v)));
const asOther: Cell = nullable((v) => copyValue(v as string));

const writers = new Map<EntityName, (row: Row) => string>();

/** One row of the entity (keyed by column, as toColumns gives it) as a COPY text line. */
function lineWriter(entity: EntityName): (row: Row) => string {
  let writer = writers.get(entity);
  if (!writer) writers.set(entity, (writer = newLineWriter(entity)));
  return writer;
}

function newLineWriter(entity: EntityName): (row: Row) => string {
  const def = entityDef(entity);
  const kinds = new Map<string, Cell>([['sourced_id', asText], ['status', asText], ['date_last_modified', asText], ['metadata', asJson]]);
  for (const [name, f] of Object.entries(def.fields)) {
    const kind = isRef(f) ? 'string' : f.kind;
    kinds.set(columnOf(name, f), kind === 'json' ? asJson : kind === 'strings' || kind === 'boolean' || kind === 'float' || kind === 'int' ? asOther : asText);
  }
  const cells = entityColumns(entity).map((c) => [c, kinds.get(c)!] as const);
  return (row) => {
    let line = '';
    for (let i = 0; i < cells.length; i++) line += (i ? '\t' : '') + cells[i]![1](row[cells[i]![0]]);
    return `${line}\n`;
  };
}

export class SyncStage {
  private readonly tables = new Map<EntityName, string>();
  private readonly forgotten: { entity: EntityName; id: string }[] = [];
  private readonly tombstones: string;
  /** Writes to the staging tables are one at a time (one COPY connection). */
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly session: SqlSession, private readonly prefix: string, private readonly copyClient?: pg.Client) {
    this.tombstones = `${prefix}tombstones`;
  }

  /** Staging for run `runId` of `source`; drops what earlier runs of the source left (none of them runs: the caller holds the source's lock). */
  static async open(db: Database, source: string, runId: number): Promise<SyncStage> {
    const em = db.orm.em.fork();
    await run(em, sql`create schema if not exists ${sql.id(SCHEMA)}`);
    // Also those of runs whose source was removed since (its run history went with it).
    const leftovers = await run(em, sql`select t.table_name from information_schema.tables t
      left join sync_runs r on r.id::text = substring(t.table_name from '^r([0-9]+)_')
      where t.table_schema = ${SCHEMA} and (r.id is null or (r.source_name = ${source} and r.id <> ${runId}))`);
    for (const l of leftovers) await run(em, sql`drop table if exists ${sql.table(`${SCHEMA}.${String(l.table_name)}`)}`);
    let client: pg.Client | undefined;
    if (!db.embedded) {
      client = new pg.Client({ connectionString: db.orm.config.get('clientUrl') });
      client.on('error', () => undefined); // a lost connection surfaces as the failing statement's error
      await client.connect();
      if (!(await speaksCopy(clientSession(client)))) {
        await client.end();
        client = undefined;
      }
    }
    const stage = new SyncStage(client ? clientSession(client) : emSession(em), `${SCHEMA}.r${runId}_`, client);
    try {
      await stage.session.run(sql`create unlogged table ${sql.table(stage.tombstones)} (entity text not null, sourced_id text collate "C" not null)`);
    } catch (err) {
      await stage.close();
      throw err;
    }
    return stage;
  }

  /** The staging table of an entity, when the run delivered rows of it. */
  tableOf(entity: EntityName): string | undefined {
    return this.tables.get(entity);
  }

  /** The run's sourcedIds of an entity: its staged rows and its tombstones (column `sourced_id`). */
  idsOf(entity: EntityName): Sql {
    const staged = this.tables.get(entity);
    return staged ? sql`select sourced_id from ${sql.table(staged)} union all ${this.tombstonesOf(entity)}` : this.tombstonesOf(entity);
  }

  /** The tombstoned sourcedIds of an entity (column `sourced_id`). */
  tombstonesOf(entity: EntityName): Sql {
    return sql`select sourced_id from ${sql.table(this.tombstones)} where entity = ${entity}`;
  }

  /** An earlier copy of a record arrived again: what it staged goes at the next flush (its row, tombstone and parts). */
  forget(entity: EntityName, sourcedId: string): void {
    this.forgotten.push({ entity, id: sourcedId });
  }

  /** Moves the batch's rows and tombstones into the staging tables and empties those lists (links and references stay). */
  flush(batch: Batch): Promise<void> {
    const rows = [...batch.rows];
    const tombstones = [...batch.tombstones].flatMap(([entity, ids]) => ids.map((id) => ({ entity, sourced_id: id })));
    const forgotten = this.forgotten.splice(0);
    batch.rows.clear();
    batch.tombstones.clear();
    const work = this.queue.then(async () => {
      for (const f of forgotten) await this.dropStaged(f.entity, f.id);
      const now = new Date().toISOString();
      for (const [entity, list] of rows) {
        if (list.length) await this.write(entity, list.map((r) => toColumns(entity, r, now)));
      }
      if (tombstones.length) await this.insert(this.tombstones, ['entity', 'sourced_id'], tombstones, (r) => `${escapeText(String(r.entity))}\t${escapeText(String(r.sourced_id))}\n`);
    });
    this.queue = work.catch(() => undefined);
    return work;
  }

  private async dropStaged(entity: EntityName, id: string) {
    const staged = this.tables.get(entity);
    if (staged) await this.session.run(sql`delete from ${sql.table(staged)} where sourced_id = ${id}`);
    await this.session.run(sql`delete from ${sql.table(this.tombstones)} where entity = ${entity} and sourced_id = ${id}`);
    for (const [part, { owner, ownerField }] of PART_OWNERS) {
      const partTable = owner === entity ? this.tables.get(part) : undefined;
      if (partTable) await this.session.run(sql`delete from ${sql.table(partTable)} where ${sql.id(columnOf(ownerField, entityDef(part).fields[ownerField]!))} = ${id}`);
    }
  }

  private async write(entity: EntityName, rows: Row[]) {
    let table = this.tables.get(entity);
    if (!table) {
      table = `${this.prefix}${entityDef(entity).table}`;
      await this.session.run(sql`create unlogged table ${sql.table(table)} (like ${sql.table(entityDef(entity).table)})`);
      this.tables.set(entity, table);
    }
    await this.insert(table, entityColumns(entity), rows, lineWriter(entity));
  }

  private async insert(table: string, columns: string[], rows: Row[], line: (row: Row) => string) {
    if (this.copyClient) {
      const copy = copyRows(this.copyClient, table, columns, line);
      try {
        for (const r of rows) if (copy.push(r)) await copy.flush();
        await copy.end();
      } catch (err) {
        await copy.abort();
        throw err;
      }
      return;
    }
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await this.session.run(sql`insert into ${sql.table(table)} (${joined(columns.map((c) => sql.id(c)))})
        ${jsonRows(table, columns, rows.slice(i, i + INSERT_BATCH))}`);
    }
  }

  /** Once the staging tables are full: an index on each one's sourcedId and statistics, on which the apply's joins are planned. */
  async seal(): Promise<void> {
    await this.queue;
    for (const table of [...this.tables.values(), this.tombstones]) {
      await this.session.run(sql`create index on ${sql.table(table)} (sourced_id)`);
      await this.session.run(sql`analyze ${sql.table(table)}`);
    }
  }

  /** Drops the staging tables and closes the COPY connection. */
  async close(): Promise<void> {
    await this.queue;
    for (const table of [...this.tables.values(), this.tombstones]) await this.session.run(sql`drop table if exists ${sql.table(table)}`).catch(() => undefined);
    await this.copyClient?.end().catch(() => undefined);
  }
}
