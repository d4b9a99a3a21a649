import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** What the thread starting the embedded database passes in (see embedded.ts). */
export interface EmbeddedWorkerData { dataDir?: string; maxConnections: number }
export type EmbeddedWorkerReply = { port: number } | 'stopped';

// PGlite executes every statement synchronously on the thread that owns it. Here, in a worker thread of its
// own, a long statement (an import's) leaves the server's event loop free to answer other requests.
const { dataDir, maxConnections } = workerData as EmbeddedWorkerData;
const db = await PGlite.create(dataDir);
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
await server.start();
const port = Number(server.getServerConn().split(':').at(-1));
parentPort!.postMessage({ port } satisfies EmbeddedWorkerReply);
parentPort!.once('message', async () => {
  await server.stop();
  await db.close();
  parentPort!.postMessage('stopped' satisfies EmbeddedWorkerReply);
  parentPort!.close();
});
