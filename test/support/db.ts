import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/orm.js';

/**
 * A fresh, migrated database for one test file: a new database on the PostgreSQL server named by
 * DATABASE_URL (dropped afterwards), or else a new in-memory embedded PostgreSQL.
 */
export async function testDatabase(): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL;
  const base = { dataDir: '', embeddedConnections: 4, statementTimeoutMs: 30_000 };
  if (!serverUrl) return openDatabase({ ...base, databaseUrl: undefined }, { inMemory: true });

  const name = `og_test_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ ...base, databaseUrl: url.toString() });
  return {
    ...db,
    async close() {
      await db.close();
      await admin(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Runs one statement on the server outside any test database (create/drop database). */
export async function admin(serverUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const onServer = () => !!process.env.DATABASE_URL;
