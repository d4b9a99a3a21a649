import { parentPort, workerData } from 'node:worker_threads';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions, type Database } from '../db/orm.js';
import { importPackage } from './import.js';
import { PackageError } from './read-package.js';
import type { WorkerJob, WorkerReply } from './import-in-worker.js';

/**
 * The import, in a worker thread: its own one-connection ORM on the same database (a server, or
 * the embedded database's socket in the main thread), the same import code, the report posted back.
 */
const job = workerData as WorkerJob;
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
