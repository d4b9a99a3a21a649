import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A database of its own on the `serverUrl` PostgreSQL server for one bench run: `url` reaches it, `drop()`
 * removes it (also on Ctrl-C), so an interrupted run leaves nothing behind.
 */
export async function scratchDatabase(serverUrl: string, prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () => (dropped ??= (async () => {
    try { await admin.query(`drop database if exists ${name} with (force)`); } finally { await admin.end(); }
  })());
  process.once('SIGINT', () => void drop().finally(() => process.exit(130)));
  return { name, url: url.toString(), drop };
}
