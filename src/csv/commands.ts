import fs from 'node:fs';
import type { Command } from 'commander';
import type { ImportOptions } from './import.js';
import { parseSince } from './since.js';

// The commands' modules (the ORM, the import and export code, progress bars) are imported inside their
// actions, so that `--help` and other commands do not load them.

/** Progress per file: bars on a terminal, one line per file otherwise (on stderr, so stdout stays the report). */
async function progress(json: boolean): Promise<{ opts: ImportOptions; stop(): void }> {
  if (json) return { opts: {}, stop: () => undefined };
  if (!process.stderr.isTTY) {
    return {
      opts: {
        onFile: (file) => process.stderr.write(`reading ${file}\n`),
        onLoad: ({ checked, reimport }) => process.stderr.write(checked ? 'package is valid; loading\n'
          : reimport ? 'package read and compared; writing the changes and checking\n' : 'initial load; loading and checking\n'),
      },
      stop: () => undefined,
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const bars = new cliProgress.MultiBar({
    format: '{file} |{bar}| {percentage}% {rows} rows {rate} rows/s', hideCursor: true, clearOnComplete: false, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  let t0 = 0;
  return {
    opts: {
      onFile: (file, bytes) => {
        bar?.update(bar.getTotal());
        t0 = performance.now();
        bar = bars.create(Math.max(bytes, 1), 0, { file: file.padEnd(34), rows: 0, rate: 0 });
      },
      onProgress: (_file, p) => bar?.update(p.bytes, { rows: p.rows, rate: Math.round(p.rows / ((performance.now() - t0) / 1000 || 1)) }),
    },
    stop: () => {
      bar?.update(bar.getTotal());
      bars.stop();
    },
  };
}

export function registerCsvCommands(program: Command) {
  program.command('import <package>').description('import a OneRoster CSV package (ZIP or folder), bulk or delta per file, in one transaction')
    .option('--dry-run', 'validate only; write nothing')
    .option('--json', 'print the report as JSON')
    .action(async (location: string, opts: { dryRun?: boolean; json?: boolean }) => {
      const { statPackage } = await import('./read-package.js');
      await statPackage(location); // before the (slow to open) database
      const [{ withDatabase }, { importPackage }, { formatReport }] = await Promise.all([import('../db/orm.js'), import('./import.js'), import('./report.js')]);
      await withDatabase(async (db) => {
        const shown = await progress(!!opts.json);
        const report = await importPackage(db, location, { dryRun: opts.dryRun, ...shown.opts }).finally(() => shown.stop());
        console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (!report.ok) process.exitCode = 1;
      });
    });

  program.command('export <target>').description('export a OneRoster 1.2 CSV package to a folder or a .zip file (bulk, or delta with --since)')
    .option('--since <datetime>', 'delta: records changed after this ISO datetime, tobedeleted ones included', parseSince)
    .action(async (target: string, opts: { since?: string }) => {
      const [{ withDatabase }, { exportPackage }, { folderSink, zipSink }] = await Promise.all([import('../db/orm.js'), import('./export.js'), import('./sinks.js')]);
      await withDatabase(async (db) => {
        const sink = target.endsWith('.zip') ? zipSink(fs.createWriteStream(target)) : await folderSink(target);
        const report = await exportPackage(db, sink, { since: opts.since });
        const rows = report.files.reduce((a, f) => a + f.rows, 0);
        console.log(`exported ${report.mode} package to ${target}: ${report.files.length} files, ${rows} rows in ${report.seconds.toFixed(1)} s`);
        for (const f of report.files) console.log(`  ${`${f.file}.csv`.padEnd(36)} ${String(f.rows).padStart(9)} rows  ${Math.round(f.rowsPerSecond).toLocaleString('en-US').padStart(10)} rows/s`);
      });
    });
}
