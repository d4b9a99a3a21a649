import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  /** Where the data lives (`memory` for a throw-away database). */
  location: string;
  stop(): Promise<void>;
}

/**
 * PGlite behind a PostgreSQL wire-protocol socket on a free loopback port, so the ordinary
 * @mikro-orm/postgresql driver talks to it exactly as to a server. `dataDir` undefined = in memory.
 */
export async function startEmbeddedPostgres(dataDir: string | undefined, maxConnections: number): Promise<EmbeddedPostgres> {
  let location = 'memory';
  if (dataDir) {
    location = path.join(dataDir, 'pgdata');
    await fs.mkdir(location, { recursive: true });
  }
  const db = await PGlite.create(dataDir ? location : undefined);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  const [, port] = server.getServerConn().split(':');
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    location,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
