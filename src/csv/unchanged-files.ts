import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { joined, sql, type SqlSession } from '../db/sql.js';
import type { FileSpec, Mode, Version } from './columns.js';
import { linkTablesOf } from './load.js';
import type { PackageSource } from './read-package.js';
import type { FileReport } from './report.js';

/**
 * Files a re-import need not read: districts send the whole bulk package every night and most of
 * its files are byte-identical to last night's. A bulk file is skipped when its SHA-256 and the
 * settings it is read with equal those of the file its table was last imported from
 * (`csv_file_digests`), and neither that table nor its link tables were written since by anything
 * at all. Re-importing such a file would change nothing: a bulk import leaves its table equal to
 * the file (listed records as the file says, the rest tobedeleted), so the comparison would find
 * no difference. (Delta files are never skipped: a blank dateLastModified is a change each time.)
 *
 * "Written since" is read from a write counter per table (the migration's `csv_writes_<table>`
 * sequences, advanced by a statement-level trigger on every write, whoever makes it). An import
 * records a table's counter only when it can prove that every write the counter counts is one its
 * own comparison saw or one it made:
 * - at its start (`markWrites`) it reads the counter, then checks that no other transaction holds a
 *   write lock on the table. A writer advances the counter after its statement, while it holds that
 *   lock, so every advance up to the value read belongs to a transaction that has ended: committed
 *   ones are visible to every statement the import runs afterwards. A table with a writer in flight
 *   is neither skipped nor recorded this time.
 * - at its end (`recordFiles`) the counter must equal the start value plus the import's own advances
 *   (the trigger counts those in a transaction-local setting). Any other advance in between is a
 *   write the comparison may not have seen: the table's entry is deleted instead. A writer that
 *   advances the counter after this check commits after the import, so the next import sees the
 *   counter moved.
 * The entries are written in the import's transaction: a rolled-back import leaves the last ones.
 */

/** Bump to invalidate every entry when what a file's bytes mean to the import changes. */
const FORMAT = 1;

/** Counter values at the import's start per table; null where another transaction was writing it. */
export type WriteMarks = Map<string, string | null>;

/** The tables a file writes: its own and its link tables (1.1 users also write user_roles). */
const tablesOf = (spec: FileSpec) => [spec.table, ...linkTablesOf(spec), ...(spec.extra.includes('role_v11') ? ['user_roles'] : [])];

const counters = (tables: readonly string[]) => joined(tables.map((t) => sql`(${t}, ${`csv_writes_${t}`})`));

/** See the module comment: the counters first, then the check for writers in flight. */
export async function markWrites(session: SqlSession, specs: readonly FileSpec[]): Promise<WriteMarks> {
  const tables = [...new Set(specs.flatMap(tablesOf))];
  if (!tables.length) return new Map();
  // The own-advance counts start from zero here, whatever the session may have set before.
  const counts = await session.run(sql`select t.name, coalesce(pg_sequence_last_value(t.seq::regclass), 0)::text as n,
      set_config('oneroster.writes_' || t.name, '0', true) as own
    from (values ${counters(tables)}) t(name, seq)`);
  const busy = new Set((await session.run(sql`select distinct l.relation::regclass::text as name from pg_locks l
    where l.locktype = 'relation' and l.granted and l.pid is distinct from pg_backend_pid()
      and l.database = (select oid from pg_database where datname = current_database())
      and l.mode in ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
      and l.relation = any(${tables}::regclass[])`)).map((r) => String(r.name)));
  return new Map(counts.map((r) => [String(r.name), busy.has(String(r.name)) ? null : String(r.n)]));
}

/**
 * The package with every file read through SHA-256: `digests` holds each file's digest once a read
 * has reached its end (null when two reads disagreed: a folder changed while it was imported).
 */
export function digestingPackage(pkg: PackageSource): PackageSource & { digests: Map<string, string | null> } {
  const digests = new Map<string, string | null>();
  const seen = (name: string, digest: string) => digests.set(name, digests.has(name) && digests.get(name) !== digest ? null : digest);
  return {
    ...pkg,
    digests,
    open: async (name) => {
      const input = await pkg.open(name);
      async function* hashed() {
        const hash = createHash('sha256');
        try {
          for await (const chunk of input as AsyncIterable<Buffer>) {
            hash.update(chunk);
            yield chunk;
          }
          seen(name, hash.digest('hex'));
        } finally {
          input.destroy();
        }
      }
      return Readable.from(hashed(), { objectMode: false });
    },
  };
}

/** What besides its bytes decides how a file is read: the import's format, version, mode and the file's columns. */
const settingsOf = (spec: FileSpec, mode: Mode, version: Version) => JSON.stringify({
  format: FORMAT, version, mode, extra: spec.extra,
  columns: spec.columns.map((c) => [c.name, c.kind, c.column, c.required, c.refTable ?? null, c.vocab ?? null]),
});

/**
 * The bulk files whose table holds exactly what importing them again would leave (module comment),
 * with the row count recorded for each. Reads (and so digests) only the files whose entry and
 * counters already match.
 */
export async function unchangedFiles(session: SqlSession, pkg: ReturnType<typeof digestingPackage>, specs: readonly FileSpec[],
  modes: Map<string, Mode>, version: Version, marks: WriteMarks): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const entries = new Map((await session.run(sql`select table_name, file, settings, digest, rows::text as rows, writes from csv_file_digests`))
    .map((r) => [String(r.table_name), r]));
  for (const spec of specs) {
    const mode = modes.get(spec.key)!;
    const entry = entries.get(spec.table);
    if (mode !== 'bulk' || !entry || entry.file !== spec.key || entry.settings !== settingsOf(spec, mode, version)) continue;
    const writes = entry.writes as Record<string, string>;
    if (!tablesOf(spec).every((t) => marks.get(t) != null && writes[t] === marks.get(t))) continue;
    const name = `${spec.key}.csv`;
    for await (const chunk of await pkg.open(name)) void chunk;
    if (pkg.digests.get(name) === entry.digest) out.set(spec.key, Number(entry.rows));
  }
  return out;
}

/**
 * At the end of a committing import: for each file, its entry (digest, settings, rows, the
 * counters now) when its tables' counters moved only by the import's own writes since `marks`,
 * else no entry (module comment). Files the import skipped pass the same test.
 */
export async function recordFiles(session: SqlSession, pkg: ReturnType<typeof digestingPackage>, specs: readonly FileSpec[],
  modes: Map<string, Mode>, version: Version, marks: WriteMarks, files: readonly FileReport[]): Promise<void> {
  if (!specs.length) return;
  const tables = [...new Set(specs.flatMap(tablesOf))];
  const now = new Map((await session.run(sql`select t.name, coalesce(pg_sequence_last_value(t.seq::regclass), 0)::text as n,
      coalesce(nullif(current_setting('oneroster.writes_' || t.name, true), ''), '0') as own
    from (values ${counters(tables)}) t(name, seq)`))
    .map((r) => [String(r.name), { n: String(r.n), own: BigInt(String(r.own)) }]));
  // Only the import's own advances since the start: the table is what the import read and wrote.
  const settled = (t: string) => {
    const start = marks.get(t);
    return start != null && BigInt(now.get(t)!.n) === BigInt(start) + now.get(t)!.own;
  };
  for (const spec of specs) {
    const mode = modes.get(spec.key)!;
    const digest = pkg.digests.get(`${spec.key}.csv`);
    const rows = files.find((f) => f.file === spec.key)?.rows;
    if (mode === 'bulk' && digest && rows !== undefined && tablesOf(spec).every(settled)) {
      const writes = Object.fromEntries(tablesOf(spec).map((t) => [t, now.get(t)!.n]));
      await session.run(sql`insert into csv_file_digests (table_name, file, settings, digest, rows, writes)
        values (${spec.table}, ${spec.key}, ${settingsOf(spec, mode, version)}, ${digest}, ${rows}, ${JSON.stringify(writes)}::jsonb)
        on conflict (table_name) do update set file = excluded.file, settings = excluded.settings, digest = excluded.digest,
          rows = excluded.rows, writes = excluded.writes, imported_at = now()`);
    } else {
      await session.run(sql`delete from csv_file_digests where table_name = ${spec.table}`);
    }
  }
}
