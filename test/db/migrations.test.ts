import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import { entityDefs } from '../../src/model/index.js';
import { testDatabase } from '../support/db.js';

describe('migrations', () => {
  let db: Database;
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('produce exactly the schema the entities describe', async () => {
    const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('create a table for every OneRoster class, with a dateLastModified index and indexed foreign keys', async () => {
    const em = db.orm.em.fork();
    const indexes: { tablename: string; indexdef: string }[] = await em.getConnection().execute(
      `select tablename, indexdef from pg_indexes where schemaname = 'public'`);
    for (const def of entityDefs) {
      const own = indexes.filter((i) => i.tablename === def.table).map((i) => i.indexdef);
      expect(own.length, def.table).toBeGreaterThan(0);
      if (def.base) expect(own.some((i) => i.includes('(date_last_modified)')), def.table).toBe(true);
      for (const [name, f] of Object.entries(def.fields)) {
        if (f.kind !== 'ref') continue;
        const col = `${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_sourced_id`;
        expect(own.some((i) => i.includes(col)), `${def.table}.${col}`).toBe(true);
      }
    }
  });

  it('is idempotent: running the migrator again applies nothing', async () => {
    const applied = await db.orm.getMigrator().up();
    expect(applied).toEqual([]);
  });
});
