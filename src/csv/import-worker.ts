import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../db/orm-options.js';
import type { Database } from '../db/orm.js';
import { importPackage } from './import.js';
import { PackageError } from './read-package.js';
import type { WorkerJob, WorkerReply } from './import-in-worker.js';

/**
 * The import, in a worker thread: its own one-connection ORM on the same database (a server, or
 * the embedded database's socket server), the same import code, the report posted back.
 */
const job = workerData as WorkerJob;
// Background work: on Linux a thread's nice value is its own, so this lowers the import thread only
// and the server's thread wins the CPU whenever a request is waiting.
try {
  os.setPriority(os.constants.priority.PRIORITY_LOW);
} catch {
  // Not permitted here: the import runs at normal priority.
}
const orm = await MikroORM.init(ormOptions(job.url, 1, job.statementTimeoutMs));
const db: Database = { orm, location: 'import worker', embedded: job.embedded, close: () => orm.close(true) };
let reply: WorkerReply;
try {
  reply = { report: await importPackage(db, job.location, job.options) };
} catch (err) {
  const e = err as Error;
  reply = { error: { message: e.message, status: err instanceof PackageError ? err.status : undefined } };
} finally {
  await db.close();
}
parentPort!.postMessage(reply);
