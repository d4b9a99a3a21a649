import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import { insertRows } from '../../src/db/bulk.js';
import { run, sql } from '../../src/db/sql.js';
import { entityDefs } from '../../src/model/index.js';
import { seedDistrict } from '../../src/seed/seed.js';
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

  it('Migration20261207060500 gives part sourcedIds made with `:` their `/` form, unless that one is taken', async () => {
    const em = db.orm.em.fork();
    await seedDistrict(em, { schools: 1, students: 16, seed: 3, classesPerStudent: 2, classSize: 8, lineItemsPerClass: 1 });
    const [li] = await run(em, sql`select l.sourced_id, (select min(sourced_id) from score_scales) as scale from line_items l order by 1 limit 2`);
    const [other] = await run(em, sql`select sourced_id from line_items order by 1 offset 1 limit 1`);
    const now = new Date().toISOString();
    const part = (sourcedId: string, lineItem: string) => ({ sourcedId, status: 'active', dateLastModified: now, lineItem, scoreScale: li!.scale });
    // As REST writes and syncs stored them before; and, for the second line item, both forms (the `/` one imported by CSV).
    await insertRows(em, 'LineItemScoreScale', [part(`${li!.sourced_id}:scoreScale`, String(li!.sourced_id)),
      part(`${other!.sourced_id}:scoreScale`, String(other!.sourced_id)), part(`${other!.sourced_id}/scoreScale`, String(other!.sourced_id))]);
    await run(em, sql`insert into source_records (table_name, sourced_id, source_name) values ('line_item_score_scales', ${`${li!.sourced_id}:scoreScale`}, 'sis')`);

    const migrator = db.orm.getMigrator();
    await migrator.down({ to: 'Migration20261207060500' }); // reverts it and those after it (none of their downs touches these rows)
    expect((await migrator.up({ to: 'Migration20261207060500' })).map((m) => m.name)).toEqual(['Migration20261207060500']);
    await migrator.up();
    const ids = (await run(em, sql`select sourced_id from line_item_score_scales where line_item_sourced_id in (${String(li!.sourced_id)}, ${String(other!.sourced_id)})
      and sourced_id like '%scoreScale' order by 1`)).map((r) => String(r.sourced_id));
    expect(ids).toEqual([`${li!.sourced_id}/scoreScale`, `${other!.sourced_id}/scoreScale`, `${other!.sourced_id}:scoreScale`].sort());
    expect((await run(em, sql`select sourced_id from source_records where source_name = 'sis'`)).map((r) => r.sourced_id)).toEqual([`${li!.sourced_id}/scoreScale`]);
  });

  it('is idempotent: running the migrator again applies nothing', async () => {
    const applied = await db.orm.getMigrator().up();
    expect(applied).toEqual([]);
  });
});
