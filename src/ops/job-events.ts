/**
 * Finished CSV imports and sync runs, announced to whoever counts them (/metrics) without the import
 * or sync code knowing about metrics.
 */
import { EventEmitter } from 'node:events';

export interface ImportOutcome {
  ok: boolean;
  dryRun: boolean;
  seconds: number;
  /** Records per table inserted or changed, and records marked tobedeleted. */
  written: Record<string, { upserted: number; markedDeleted: number }>;
}

export interface SyncOutcome {
  source: string;
  mode: 'full' | 'incremental';
  ok: boolean;
  dryRun: boolean;
  seconds: number;
  /** Records fetched from the upstream, per collection. */
  fetched: Record<string, number>;
  /** Records written per table: changed (new or different) and marked tobedeleted. */
  tables: Record<string, { changed: number; deleted: number }>;
}

export const jobEvents = new EventEmitter<{ import: [ImportOutcome]; sync: [SyncOutcome] }>();
jobEvents.setMaxListeners(0); // one listener per app; tests build many

export function reportImport(outcome: ImportOutcome): void {
  jobEvents.emit('import', outcome);
}

export function reportSync(outcome: SyncOutcome): void {
  jobEvents.emit('sync', outcome);
}
