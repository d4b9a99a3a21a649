import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../shared/worker-entry.js';
import type { EmbeddedWorkerData, EmbeddedWorkerReply } from './embedded-worker.js';

export interface EmbeddedPostgres {
  url: string;
  /** Where the data lives (`memory` for a throw-away database). */
  location: string;
  stop(): Promise<void>;
}

/**
 * PGlite behind a PostgreSQL wire-protocol socket on a free loopback port, so the ordinary
 * @mikro-orm/postgresql driver talks to it exactly as to a server. `dataDir` undefined = in memory.
 * Both run in a worker thread (embedded-worker.ts): PGlite executes statements synchronously, and on
 * the server's own thread one long statement would hold every other request.
 */
export async function startEmbeddedPostgres(dataDir: string | undefined, maxConnections: number): Promise<EmbeddedPostgres> {
  let location = 'memory';
  let unlock = async () => {};
  if (dataDir) {
    location = path.join(dataDir, 'pgdata');
    await fs.mkdir(location, { recursive: true });
    unlock = await lockDataDir(dataDir);
  }
  try {
    const worker = new Worker(WORKER_ENTRY, { workerData: { dataDir: dataDir ? location : undefined, maxConnections } satisfies EmbeddedWorkerData });
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (reply: EmbeddedWorkerReply) => (typeof reply === 'object' ? resolve(reply.port) : reject(new Error(String(reply)))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the embedded database's thread exited (code ${code}) while starting`)));
    });
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      location,
      async stop() {
        // The worker closes the socket server and PGlite (flushing the data directory), then is ended.
        const stopped = new Promise((resolve) => { worker.once('message', resolve); worker.once('exit', resolve); });
        worker.postMessage('stop');
        await stopped;
        await worker.terminate();
        await unlock();
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}

const WORKER_ENTRY = workerEntry('embedded-worker', import.meta.url);

/**
 * PGlite is one process's database: a second process opening the same directory would corrupt it.
 * A lock file holding our pid refuses that with a clear message (a stale lock of a dead pid is taken over).
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, 'oneroster-graph.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      return () => fs.rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await fs.readFile(file, 'utf8').catch(() => ''));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the embedded database in ${dataDir} is in use by process ${pid}; stop it first (or set DATABASE_URL)`);
      }
      await fs.rm(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
