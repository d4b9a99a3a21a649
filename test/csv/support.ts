import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { FILES_V12 } from '../../src/csv/columns.js';
import { exportPackage, type ExportOptions } from '../../src/csv/export.js';
import { folderSink } from '../../src/csv/sinks.js';
import { admin } from '../support/db.js';

export const TMP = path.resolve('tmp/csv-tests');

/** A fresh scratch folder under tmp/ (git-ignored). */
export function scratchDir(name: string): string {
  const dir = path.join(TMP, `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const ALL_FILES = FILES_V12.map((s) => s.key);

/** Writes a package folder: manifest.csv (every file absent unless given a mode) plus the given files. */
export function writePackage(dir: string, files: Record<string, string>, modes: Record<string, 'bulk' | 'delta'> = {}, version = '1.2') {
  fs.mkdirSync(dir, { recursive: true });
  const names = version === '1.1'
    ? ['academicSessions', 'categories', 'classResources', 'classes', 'courseResources', 'courses', 'demographics', 'enrollments', 'lineItems', 'orgs', 'resources', 'results', 'users']
    : ALL_FILES;
  const manifest = ['propertyName,value', 'manifest.version,1.0', `oneroster.version,${version}`,
    ...names.map((k) => `file.${k},${k in files ? (modes[k] ?? 'bulk') : 'absent'}`)].join('\n');
  fs.writeFileSync(path.join(dir, 'manifest.csv'), `${manifest}\n`);
  for (const [k, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${k}.csv`), body);
  return dir;
}

export async function exportTo(db: Database, dir: string, opts: ExportOptions = {}) {
  return exportPackage(db, await folderSink(dir), opts);
}

/** Every data row of every CSV file in a folder, as sorted JSON lines per file (order and quoting do not matter). */
export function packageContent(dir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.csv')).sort()) {
    const rows: string[][] = parse(fs.readFileSync(path.join(dir, name)), { bom: true });
    out[name] = [JSON.stringify(rows[0]), ...rows.slice(1).map((r) => JSON.stringify(r)).sort()];
  }
  return out;
}

/** The OneRoster tables the CSV binding covers, with the columns it does not carry left out. */
const COMPARED: Record<string, string[]> = Object.fromEntries(FILES_V12.map((s) => [s.table, s.table === 'line_items' ? ['grading_period_sourced_id'] : []]));

/** Contents of every CSV-covered table (plus class_terms and user_agents), for before/after comparisons. */
export async function tableContents(db: Database, opts: { withDates?: boolean } = {}): Promise<Record<string, unknown[]>> {
  const em = db.orm.em.fork();
  const out: Record<string, unknown[]> = {};
  for (const [table, skip] of Object.entries(COMPARED)) {
    const drop = [...skip, ...(opts.withDates === false ? ['date_last_modified'] : [])].map((c) => ` - '${c}'`).join('');
    const [row] = await runSql(em, `select coalesce(jsonb_agg(to_jsonb(t)${drop} order by t.sourced_id), '[]') as rows from ${table} t`);
    out[table] = row.rows as unknown[];
  }
  for (const table of ['class_terms', 'user_agents']) {
    const [row] = await runSql(em, `select coalesce(jsonb_agg(to_jsonb(t) order by t::text), '[]') as rows from ${table} t`);
    out[table] = row.rows as unknown[];
  }
  return out;
}

export async function count(db: Database, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await runSql(db.orm.em.fork(), `select count(*)::int as n from ${sql}`, values);
  return row.n as number;
}

/** A CSV file body from a header and rows of cells (cells are written as given: quote them yourself). */
export const csv = (header: string, ...rows: string[]) => `${[header, ...rows].join('\n')}\n`;

/**
 * A database for CLI child processes, reached through DATABASE_URL: a scratch database on the
 * server, or (without DATABASE_URL) an in-memory embedded one served from this process over its
 * socket. `open()` gives this process its own handle on the same database.
 */
export async function cliDatabase(): Promise<{ env: NodeJS.ProcessEnv; open(): Promise<Database>; close(): Promise<void> }> {
  const { openDatabase } = await import('../../src/db/orm.js');
  const server = process.env.DATABASE_URL;
  let url: string;
  let stop: () => Promise<unknown>;
  if (server) {
    const name = `og_csv_cli_${Math.random().toString(36).slice(2, 10)}`;
    await admin(server, `create database ${name}`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    url = u.toString();
    stop = () => admin(server, `drop database if exists ${name} with (force)`);
  } else {
    const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
    const embedded = await startEmbeddedPostgres(undefined, 6);
    url = embedded.url;
    stop = () => embedded.stop();
  }
  const open = () => openDatabase({ databaseUrl: url, dataDir: '', embeddedConnections: 2, statementTimeoutMs: 60_000 });
  await (await open()).close(); // migrates
  return { env: { DATABASE_URL: url }, open, close: async () => void (await stop()) };
}

