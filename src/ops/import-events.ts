/**
 * Finished CSV imports, announced to whoever counts them (/metrics) without the import code knowing
 * about metrics.
 */
import { EventEmitter } from 'node:events';

export interface ImportOutcome {
  ok: boolean;
  dryRun: boolean;
  seconds: number;
  /** Records per table inserted or changed, and records marked tobedeleted. */
  written: Record<string, { upserted: number; markedDeleted: number }>;
}

export const importEvents = new EventEmitter<{ finished: [ImportOutcome] }>();
importEvents.setMaxListeners(0); // one listener per app; tests build many

export function reportImport(outcome: ImportOutcome): void {
  importEvents.emit('finished', outcome);
}
