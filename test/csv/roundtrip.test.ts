import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importPackage } from '../../src/csv/import.js';
import { zipSink } from '../../src/csv/sinks.js';
import { exportPackage } from '../../src/csv/export.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { writeDistrictPackage } from '../../src/csv/generate.js';
import { testDatabase } from '../support/db.js';
import { count, exportTo, packageContent, scratchDir, tableContents, writePackage, csv } from './support.js';

let source: Database;
let target: Database;

beforeAll(async () => {
  source = await testDatabase();
  target = await testDatabase();
  await seedDistrict(source.orm.em, { schools: 2, students: 24, seed: 7, hostile: true, lineItemsPerClass: 1 });
});
afterAll(async () => {
  await source?.close();
  await target?.close();
});

describe('round trip', () => {
  it('the hostile district really is hostile', async () => {
    const users = JSON.stringify((await tableContents(source)).users);
    for (const s of [',', '\\"', '\\n', 'é', '李', '🦄']) expect(users.includes(s), s).toBe(true);
    expect(await count(source, `users where given_name = ''`)).toBeGreaterThan(0);
    expect(await count(source, `users where metadata is not null`)).toBeGreaterThan(0);
    expect(await count(source, `(select user_sourced_id from user_roles group by 1 having count(*) > 1) x`)).toBeGreaterThan(0);
  });

  it('import(export(x)) reproduces x: a delta export since the epoch carries every value, status and date', async () => {
    const dir = scratchDir('rt-delta');
    await exportTo(source, dir, { since: '1970-01-01T00:00:00.000Z' });
    const report = await importPackage(target, dir);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(await tableContents(target)).toEqual(await tableContents(source));
  });

  it('export(import(p)) equals p up to row order and quoting, through a ZIP as well', async () => {
    const p = scratchDir('rt-bulk');
    await exportTo(source, p);
    const zip = path.join(scratchDir('rt-zip'), 'package.zip');
    await exportPackage(target, zipSink(fs.createWriteStream(zip)));
    const again = await importPackage(target, zip);
    expect(again.ok).toBe(true);
    const q = scratchDir('rt-bulk-again');
    await exportTo(target, q);
    const before = packageContent(p);
    expect(Object.keys(before).length).toBeGreaterThan(15);
    expect(packageContent(q)).toEqual(before);
    // A bulk re-import of the same data changes nothing, so no record's dateLastModified moves.
    expect(Object.values(again.written).every((w) => w.upserted === 0 && w.markedDeleted === 0)).toBe(true);
  });

  it('bulk round trip without dates still reproduces every value', async () => {
    const fresh = await (await import('../support/db.js')).testDatabase();
    try {
      const dir = scratchDir('rt-bulk-fresh');
      await exportTo(source, dir);
      expect((await importPackage(fresh, dir)).ok).toBe(true);
      expect(await tableContents(fresh, { withDates: false })).toEqual(await tableContents(source, { withDates: false }));
    } finally {
      await fresh.close();
    }
  });

  it('reads quoted line breaks, doubled quotes and "" (empty string) exactly, and writes them back', async () => {
    const dir = writePackage(scratchDir('rt-hand'), {
      orgs: csv('sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,metadata.note',
        'org-a,,,"Multi\nline, ""quoted"" name",school,"",,"a,b"',
        'org-b,,,Ünïcödé 学校 🏫,ext:campus,ID-2,org-a,'),
    });
    const report = await importPackage(target, dir);
    expect(report.errors).toEqual([]);
    const out = scratchDir('rt-hand-out');
    await exportTo(target, out);
    const orgs = packageContent(out)['orgs.csv'];
    expect(orgs).toContain(JSON.stringify(['org-a', '', '', 'Multi\nline, "quoted" name', 'school', '', '', 'a,b']));
    expect(orgs).toContain(JSON.stringify(['org-b', '', '', 'Ünïcödé 学校 🏫', 'ext:campus', 'ID-2', 'org-a', '']));
    const raw = fs.readFileSync(path.join(out, 'orgs.csv'), 'utf8');
    expect(raw).toContain('org-a,,,"Multi\nline, ""quoted"" name",school,"",,"a,b"');
  });

  it('export(import(p)) equals p for a package written by another writer (the generator, hostile values)', async () => {
    const p = scratchDir('rt-generated');
    await writeDistrictPackage(p, { schools: 1, students: 30, seed: 11, hostile: true, lineItemsPerClass: 1 });
    const report = await importPackage(target, p);
    expect(report.errors).toEqual([]);
    const q = scratchDir('rt-generated-out');
    await exportTo(target, q);
    const { ['manifest.csv']: m1, ...written } = packageContent(p);
    const { ['manifest.csv']: m2, ...exported } = packageContent(q);
    expect(exported).toEqual(written);
    expect(m2.filter((l) => l.includes('bulk'))).toEqual(m1.filter((l) => l.includes('bulk')));
  });
});
