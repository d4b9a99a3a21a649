import type { CsvLimits } from '../db/config.js';
import type { StageProgress } from './stage-file.js';

/** What a caller of importPackage (import.ts) may choose; the optimistic path (fast-import.ts) reads it too. */
export interface ImportOptions {
  dryRun?: boolean;
  /** Stage through COPY FROM STDIN where the database speaks COPY (default on; there is no COPY on the embedded database). */
  copy?: boolean;
  /** With COPY, let PostgreSQL parse each file first (default on); off forces csv-parse for every file. */
  parseInDatabase?: boolean;
  onFile?: (file: string, bytes: number) => void;
  onProgress?: (file: string, p: StageProgress) => void;
  /**
   * Called when the writes into the real tables start (the CLI prints it; the atomicity tests wait
   * for it): after every check has passed (`checked`), or on the optimistic path for an initial
   * load, before its checks, which then run on the written rows (any failure undoes the writes);
   * on the `changes` path of a re-import (`reimport`), after every file was read and compared,
   * before the writes whose foreign keys check the references.
   */
  onLoad?: (how: { checked: boolean; reimport?: boolean }) => void;
  /** On a server, try the optimistic path first (default on): fast-import.ts for initial loads, reimport.ts otherwise. */
  optimistic?: boolean;
  /** Overrides of the configured limits (CSV_MAX_* settings). */
  limits?: Partial<CsvLimits>;
}
