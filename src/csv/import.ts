import type { Database } from '../db/orm.js';
import { sql } from '../db/sql.js';
import { checkStaged } from './checks.js';
import { importFast } from './fast-import.js';
import { tablesEmpty } from './ddl.js';
import { importChanges } from './reimport.js';
import { filesFor, type FileSpec } from './columns.js';
import { loadFile } from './load.js';
import { readManifest } from './manifest.js';
import { csvLimits, openPackage } from './read-package.js';
import { CsvInputError } from './input-guard.js';
import { IssueList, type FileReport, type ImportReport } from './report.js';
import { copyStager, createStagingTable, insertStager, stagingTable } from './stage.js';
import { stageByCopy } from './stage-copy.js';
import { stageFile } from './stage-file.js';
import { analyzeChanged } from './statistics.js';
import { inTransaction, type CsvSession } from './connection.js';
import { digestingPackage, markWrites, recordFiles, unchangedFiles } from './unchanged-files.js';
import type { ImportOptions } from './import-options.js';

export type { ImportOptions };

/** Serialises imports: two packages loading at once would each see the other's half-done state. */
const IMPORT_LOCK = 7_410_007;

/**
 * Imports a OneRoster CSV package (ZIP or folder) in one transaction: stage and check every file,
 * check the package as a whole, and only if nothing is wrong (and this is not a dry run) write.
 */
export async function importPackage(db: Database, location: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const issues = new IssueList();
  const report: ImportReport = { ok: false, dryRun: !!opts.dryRun, files: [], written: {}, errorCount: 0, errors: [], seconds: 0 };
  const pkg = digestingPackage(await openPackage(location, csvLimits(opts.limits)));
  try {
    const manifest = await readManifest(pkg, issues);
    if (manifest) {
      report.version = manifest.version;
      const specs = filesFor(manifest.version).filter((s) => manifest.modes.has(s.key));
      await inTransaction(db, async (session) => {
        await session.run(sql`set local statement_timeout = 0`);
        await session.run(sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`);
        const marks = await markWrites(session, specs);
        const commit = async () => {
          await recordFiles(session, pkg, specs, manifest.modes, manifest.version, marks, report.files);
          return 'commit' as const;
        };
        const copy = !!session.copy && opts.copy !== false;
        if (copy && opts.parseInDatabase !== false && opts.optimistic !== false && !opts.dryRun && manifest.version === '1.2') {
          // An initial load, or a re-import that writes only what changed; either gives up (and
          // undoes itself) on anything unexpected, and the careful path below names the errors.
          const initial = await tablesEmpty(session, specs.map((s) => s.table));
          const done = initial ? await importFast(session, pkg, specs, manifest.modes, opts)
            : await importChanges(session, pkg, specs, manifest.modes, opts, await unchangedFiles(session, pkg, specs, manifest.modes, manifest.version, marks));
          if (done) {
            Object.assign(report, done, { path: initial ? 'optimistic' : 'changes' });
            await analyzeChanged(session, specs, done.written);
            return commit();
          }
        }
        report.path = 'careful';
        let readable = true;
        for (const spec of specs) {
          const staged = await stage(session, pkg, spec, manifest.modes.get(spec.key)!, issues, copy, opts);
          report.files.push(staged.report);
          readable &&= staged.readable;
        }
        // Reference checks over a half-read file would only repeat its error many times over.
        if (readable) await checkStaged(session, specs, issues);
        if (issues.count > 0 || opts.dryRun) return 'rollback';
        opts.onLoad?.({ checked: true });
        for (const spec of specs) report.written[spec.table] = await loadFile(session, spec, manifest.modes.get(spec.key)!);
        await analyzeChanged(session, specs, report.written);
        return commit();
      });
    }
  } catch (err) {
    // A file refused outright (too long a line, a blank line, not UTF-8): its one error is the report.
    if (!(err instanceof CsvInputError)) throw err;
    issues.add(err.issue);
  } finally {
    pkg.close();
  }
  report.ok = issues.count === 0;
  report.errorCount = issues.count;
  report.errors = issues.items;
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function stage(session: CsvSession, pkg: Awaited<ReturnType<typeof openPackage>>, spec: FileSpec, mode: 'bulk' | 'delta',
  issues: IssueList, copy: boolean, opts: ImportOptions): Promise<{ report: FileReport; readable: boolean }> {
  const name = `${spec.key}.csv`;
  const t0 = performance.now();
  opts.onFile?.(name, pkg.size(name));
  await createStagingTable(session, spec);
  const copyClient = copy ? session.copy : undefined;
  const copied = copyClient && opts.parseInDatabase !== false ? await stageByCopy(session, copyClient, await pkg.open(name), spec, mode) : undefined;
  let rows = copied ?? 0;
  let readable = true;
  if (copied === undefined) {
    // The embedded database, or a file the COPY path declined: csv-parse, which names every error.
    const stager = copyClient ? copyStager(copyClient, spec) : insertStager(session, spec);
    ({ rows, readable } = await stageFile(await pkg.open(name), spec, mode, stager, issues, (p) => opts.onProgress?.(name, p)));
  } else {
    opts.onProgress?.(name, { rows, bytes: pkg.size(name) });
  }
  await session.run(sql`analyze ${sql.table(stagingTable(spec))}`);
  const seconds = (performance.now() - t0) / 1000;
  const parsedBy = copied === undefined ? 'csv-parse' : 'postgres';
  return { report: { file: spec.key, mode, parsedBy, rows, seconds, rowsPerSecond: seconds > 0 ? rows / seconds : 0 }, readable };
}
