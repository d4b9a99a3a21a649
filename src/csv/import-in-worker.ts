import { Worker } from 'node:worker_threads';
import type { Database } from '../db/orm.js';
import type { ImportOptions } from './import.js';
import { PackageError } from './read-package.js';
import type { ImportReport } from './report.js';
import { workerEntry } from '../shared/worker-entry.js';

/** What the worker needs: where the database is and what to import (structured-cloneable). */
export interface WorkerJob {
  url: string;
  embedded: boolean;
  statementTimeoutMs: number;
  location: string;
  options: Pick<ImportOptions, 'dryRun' | 'limits'>;
}

export type WorkerReply = { report: ImportReport } | { error: { message: string; status?: number } };

const ENTRY = workerEntry('import-worker', import.meta.url);

/**
 * Runs importPackage in a worker thread, so that parsing and checking a package (seconds of CPU
 * for a large one) leave the server's event loop free for REST and GraphQL. The worker reaches the
 * same database through the ORM like the main thread (on the embedded database, through its socket
 * server); PackageErrors come back as PackageErrors (with their HTTP status), anything else as an Error.
 */
export function importInWorker(db: Database, location: string, options: WorkerJob['options']): Promise<ImportReport> {
  const job: WorkerJob = {
    url: db.orm.config.get('clientUrl')!,
    embedded: db.embedded,
    statementTimeoutMs: 15_000, // the import's transaction lifts it (set local statement_timeout = 0)
    location,
    options,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(ENTRY, { workerData: job });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if ('report' in reply) resolve(reply.report);
      else if (reply.error.status !== undefined) reject(new PackageError(reply.error.message, reply.error.status));
      else reject(new Error(`CSV import worker: ${reply.error.message}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`CSV import worker exited (code ${code}) without a report`));
    });
  });
}
