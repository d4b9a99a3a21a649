import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, jsonRows, tombstone, upsert, upsertRows } from '../../src/db/bulk.js';
import type { Database } from '../../src/db/orm.js';
import { emSession, run, sql, type SqlSession } from '../../src/db/sql.js';
import { testDatabase } from '../support/db.js';

/** The one write path (seed, CSV careful path, gradebook writes): what an upsert and a tombstone do. */
describe('the write path', () => {
  let db: Database;
  let session: SqlSession;
  const org = (sourcedId: string, name: string) => ({ sourcedId, name, type: 'school', dateLastModified: '2024-01-01T00:00:00.000Z' });
  const read = async (id: string) => (await run(db.orm.em.fork(), sql`select name, status, date_last_modified from orgs where sourced_id = ${id}`))[0];
  beforeAll(async () => {
    db = await testDatabase();
    session = emSession(db.orm.em.fork());
  });
  afterAll(async () => { await db?.close(); });

  it('creates rows, then replaces them on update, counting what was created', async () => {
    expect(await upsertRows(session, 'Org', [org('o1', 'One'), org('o2', 'Two')])).toEqual({ written: 2, created: 2 });
    expect(await upsertRows(session, 'Org', [org('o1', 'One again'), org('o3', 'Three')], 'update')).toEqual({ written: 2, created: 1 });
    expect((await read('o1')).name).toBe('One again');
    // A plain insert ("fail") refuses a sourcedId already present.
    await expect(upsertRows(session, 'Org', [org('o2', 'Two')])).rejects.toThrow(/duplicate key/);
  });

  it('leaves an unchanged record alone (its dateLastModified stays) when only changes count', async () => {
    const columns = ['sourced_id', 'status', 'date_last_modified', 'name', 'type'];
    const rows = (name: string) => jsonRows('orgs', columns, [
      { sourced_id: 'o2', status: 'active', date_last_modified: '2030-01-01T00:00:00.000Z', name, type: 'school' },
    ]);
    const write = (name: string) => upsert(session, { table: 'orgs', columns, rows: rows(name), key: ['sourced_id'], onConflict: 'update', onlyWhenChanged: ['name', 'status'] });
    expect(await write('Two')).toEqual({ written: 0, created: 0 });
    expect(new Date(String((await read('o2')).date_last_modified)).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(await write('Two, renamed')).toEqual({ written: 1, created: 0 });
    expect(new Date(String((await read('o2')).date_last_modified)).toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('tombstones live records once, with the given time, and never removes them', async () => {
    const when = '2031-05-06T07:08:09.000Z';
    expect(await tombstone(session, 'orgs', sql`t.sourced_id = any(${['o1', 'o3', 'nope']}::text[])`, at(when))).toEqual(expect.arrayContaining(['o1', 'o3']));
    const o1 = await read('o1');
    expect({ status: o1.status, at: new Date(String(o1.date_last_modified)).toISOString() }).toEqual({ status: 'tobedeleted', at: when });
    // A retried delete changes nothing.
    expect(await tombstone(session, 'orgs', sql`t.sourced_id = ${'o1'}`, at())).toEqual([]);
    expect(new Date(String((await read('o1')).date_last_modified)).toISOString()).toBe(when);
    expect((await read('o2')).status).toBe('active');
  });
});
