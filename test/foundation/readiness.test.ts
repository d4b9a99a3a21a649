import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { testApp } from '../support/app.js';

/** /healthz says the process answers; /readyz that the database answers and no migration is pending. */
let db: Database;

beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('health and readiness', () => {
  it('is ready on a migrated database, and not while a migration is pending', async () => {
    const { app } = await testApp(db);
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });

    const [last] = await db.orm.getMigrator().down();
    const pending = await app.inject({ url: '/readyz' });
    expect(pending.statusCode).toBe(503);
    expect(pending.json()).toEqual({ status: 'migrations pending', pending: [last!.name] });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);

    await db.orm.getMigrator().up();
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await app.close();
  });

  it('is not ready while the database does not answer, and stays alive', async () => {
    const broken = await testDatabase();
    const { app } = await testApp(broken);
    await broken.close(); // the pool is gone: every statement fails, as with a database that is down
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'database unavailable' });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    await app.close();
  });
});
