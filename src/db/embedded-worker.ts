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
keepCyclesWhole((server as unknown as { queryQueue: QueryQueue }).queryQueue);
await server.start();
const port = Number(server.getServerConn().split(':').at(-1));
parentPort!.postMessage({ port } satisfies EmbeddedWorkerReply);
parentPort!.once('message', async () => {
  await server.stop();
  await db.close();
  parentPort!.postMessage('stopped' satisfies EmbeddedWorkerReply);
  parentPort!.close();
});

/** The socket server's queue of protocol messages (pglite-socket 0.2.17 internals, used by keepCyclesWhole). */
interface QueuedMessage { handlerId: number; message: Uint8Array; resolve(bytes: number): void; reject(err: unknown): void; onData(data: Uint8Array): void }
interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Frontend messages of the extended query protocol (Parse, Bind, Describe, Execute, Close, Flush): a cycle ends with Sync. */
const EXTENDED = new Set([...'PBDECH'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

/**
 * All connections share PGlite's one session, and the socket server queues their protocol messages one by
 * one, keeping a connection's turn only inside an explicit transaction. A statement with parameters is a
 * cycle of messages (Parse, Bind, Execute, ..., Sync) on the session's unnamed statement and portal; another
 * connection's messages in the middle of it replaced them, so that a request got another request's rows
 * or ran another's statement with its own parameters, or failed ("portal does not exist")
 * (test/db/concurrent-statements.test.ts). Here a connection that has begun a cycle keeps the turn until its
 * Sync, as it does inside a transaction. A message that fails no longer leaves the queue stopped for good.
 */
function keepCyclesWhole(queue: QueryQueue): void {
  let cycleOf: number | null = null;
  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = cycleOf ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const at = owner === null ? 0 : this.queue.findIndex((q) => q.handlerId === owner);
        if (at < 0) break; // the owner's next message starts the queue again when it comes
        const [item] = this.queue.splice(at, 1);
        let bytes = 0;
        try {
          await this.db.runExclusive(() => this.db.execProtocolRawStream(item!.message, { onRawData: (data) => { bytes += data.length; item!.onData(data); } }));
        } catch (err) {
          cycleOf = null;
          item!.reject(err);
          continue;
        }
        const type = item!.message[0]!;
        if (EXTENDED.has(type)) cycleOf = item!.handlerId;
        else if (type === SYNC && cycleOf === item!.handlerId) cycleOf = null;
        this.lastHandlerId = item!.handlerId;
        item!.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    // A connection gone in the middle of its cycle gives up its turn.
    if (cycleOf === handlerId) {
      cycleOf = null;
      void queue.processQueue();
    }
  };
}
