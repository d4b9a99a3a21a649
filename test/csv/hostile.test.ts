import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ADMIN_SCOPE } from '../../src/auth/scopes.js';
import { loadSigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { importPackage, type ImportOptions } from '../../src/csv/import.js';
import { PackageError } from '../../src/csv/read-package.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile, HEADERS } from './fixtures.js';
import { count, scratchDir, writePackage } from './support.js';

let db: Database;
let app: FastifyInstance;
let auth: Record<string, string>;

beforeAll(async () => {
  process.env.TMPDIR = scratchDir('hostile-tmp'); // uploads are spooled to os.tmpdir()
  db = await testDatabase();
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: undefined, LOG_LEVEL: 'silent', CSV_MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) }), keys });
  const token = (await issueAccessToken(keys, { clientId: 't', scopes: [ADMIN_SCOPE], ttlSeconds: 600 })).access_token;
  auth = { 'content-type': 'application/zip', authorization: `Bearer ${token}` };
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const MANIFEST = (files: string[]) => ['propertyName,value', 'manifest.version,1.0', 'oneroster.version,1.2', ...files.map((f) => `file.${f},bulk`)].join('\n') + '\n';

/** A ZIP in memory: [name, bytes] entries, deflated (names are written as given, duplicates included). */
async function zipOf(entries: [string, string | Buffer][]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, body] of entries) zip.addBuffer(Buffer.isBuffer(body) ? body : Buffer.from(body), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function importZip(zip: Buffer, opts: ImportOptions = {}) {
  const file = path.join(scratchDir('hostile-zip'), 'p.zip');
  fs.writeFileSync(file, zip);
  return importPackage(db, file, opts);
}

const orgsWith = (...rows: (string | Buffer)[]) => Buffer.concat([Buffer.from(`${HEADERS.orgs}\n`), ...rows.map((r) => Buffer.concat([Buffer.from(r), Buffer.from('\n')]))]);
const issue = (file: string, line: number, column: string, reason: RegExp) =>
  expect.objectContaining({ file, line, column, reason: expect.stringMatching(reason) });

describe('hostile CSV input is refused early, with file, line and column', () => {
  it('a million blank lines (a 1 KB zip) are refused at the first one, in well under a second of work', async () => {
    const zip = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', Buffer.concat([orgsWith('d1,,,District,district,,'), Buffer.alloc(1_000_000, '\n')])]]);
    expect(zip.length).toBeLessThan(4096);
    const t0 = performance.now();
    for (const dryRun of [true, false]) {
      const report = await importZip(zip, { dryRun });
      expect(report.errors).toEqual([issue('orgs.csv', 3, '', /blank line/)]);
    }
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await count(db, 'orgs')).toBe(0);
  });

  it('a blank line inside a quoted cell is data, not a blank line', async () => {
    const files = { ...basePackage(), orgs: csvFile('orgs', 'd1,,,"Two\n\nparagraphs",district,,', 's1,,,School One,school,NCES-1,d1') };
    const report = await importPackage(db, writePackage(scratchDir('hostile-para'), files), { dryRun: true });
    expect(report.errors).toEqual([]);
  });

  it('a line longer than CSV_MAX_LINE_BYTES is refused at that line without reading the rest of it', async () => {
    const long = Buffer.alloc(48 * 1024 * 1024, 'a');
    const dir = writePackage(scratchDir('hostile-long'), { orgs: 'x' });
    fs.writeFileSync(path.join(dir, 'orgs.csv'), orgsWith('d1,,,District,district,,', Buffer.concat([Buffer.from('s1,,,'), long, Buffer.from(',school,,d1')])));
    const rss = process.memoryUsage().rss;
    for (const dryRun of [true, false]) {
      const report = await importPackage(db, dir, { dryRun });
      expect(report.errors).toEqual([issue('orgs.csv', 3, '', /line longer than 1048576 bytes \(CSV_MAX_LINE_BYTES\)/)]);
    }
    expect(process.memoryUsage().rss - rss).toBeLessThan(40 * 1024 * 1024);
    const small = await importPackage(db, writePackage(scratchDir('hostile-short'), basePackage()), { dryRun: true, limits: { maxLineBytes: 20 } });
    expect(small.errors).toEqual([issue('manifest.csv', 3, '', /line longer than 20 bytes/)]);
    expect(loadConfig({ CSV_MAX_LINE_BYTES: '4096' }).csv.maxLineBytes).toBe(4096);
  });

  it('bytes that are not UTF-8 are an error at their file, line and column, on every path', async () => {
    const bad = Buffer.concat([Buffer.from('s1,,,Sch'), Buffer.from([0xff, 0xfe]), Buffer.from('ool,school,,d1')]);
    const overlong = Buffer.concat([Buffer.from('s2,,,'), Buffer.from([0xc0, 0xaf]), Buffer.from(',school,,d1')]);
    const truncated = Buffer.concat([Buffer.from('s3,,,ok,school,,d1\ns4,,,'), Buffer.from([0xe2, 0x82])]);
    for (const [row, line, column] of [[bad, 3, 'name'], [overlong, 3, 'name'], [truncated, 4, 'name']] as const) {
      const zip = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', orgsWith('d1,,,District,district,,', row)]]);
      for (const dryRun of [true, false]) {
        const report = await importZip(zip, { dryRun });
        expect(report.errors).toEqual([issue('orgs.csv', line, column, /not UTF-8/)]);
      }
    }
    // A character split across the stream's chunks is fine.
    const name = 'Ž'.repeat(300_000);
    const ok = await importZip(await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', orgsWith(`d1,,,${name},district,,`)]]), { dryRun: true });
    expect(ok.errors).toEqual([]);
    expect(await count(db, 'orgs')).toBe(0);
  });

  it('ZIP bombs: the uncompressed total and each entry\'s ratio are bounded before anything is read', async () => {
    const bomb = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', orgsWith('d1,,,District,district,,\n'.repeat(100_000).trimEnd())]]);
    await expect(importZip(bomb)).rejects.toThrow(/compressed \d+:1, more than 200:1 \(CSV_MAX_ZIP_RATIO\)/);
    await expect(importZip(bomb, { limits: { maxZipRatio: 100_000, maxUnzippedBytes: 1_000_000 } }))
      .rejects.toThrow(/unzips to more than 1000000 bytes \(CSV_MAX_UNZIPPED_BYTES\)/);
    const read = await importZip(bomb, { dryRun: true, limits: { maxZipRatio: 100_000 } });
    expect(read.errors[0]).toEqual(issue('orgs.csv', 3, 'sourcedId', /duplicate/));
  });

  it('a ZIP with two entries of one name is refused', async () => {
    const zip = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', orgsWith('d1,,,District,district,,')], ['orgs.csv', orgsWith('d2,,,Other,district,,')]]);
    await expect(importZip(zip)).rejects.toThrow(PackageError);
    await expect(importZip(zip)).rejects.toThrow(/orgs.csv: the ZIP holds two entries of this name/);
  });

  it('over HTTP: zip slip, duplicates and bombs are 4xx with a message; an upload over its limit is 413', async () => {
    // yazl refuses to write `../x`, so the entry is written as `__/x` and renamed in the bytes.
    const slip = Buffer.from((await zipOf([['manifest.csv', MANIFEST([])], ['__/evil.csv', 'x']])).toString('latin1').replaceAll('__/evil.csv', '../evil.csv'), 'latin1');
    const res = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: slip, headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_package', message: expect.stringMatching(/unsafe or unreadable ZIP entry.*\.\.\/evil\.csv/) });

    const dup = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', orgsWith('d1,,,District,district,,')], ['orgs.csv', orgsWith('d2,,,Other,district,,')]]);
    const dupRes = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: dup, headers: auth });
    expect(dupRes.statusCode).toBe(400);
    expect(dupRes.json().message).toMatch(/two entries/);

    const bomb = await zipOf([['manifest.csv', MANIFEST(['orgs'])], ['orgs.csv', Buffer.alloc(50_000_000, 'a')]]);
    const bombRes = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: bomb, headers: auth });
    expect(bombRes.statusCode).toBe(413);
    expect(bombRes.json().message).toMatch(/CSV_MAX_ZIP_RATIO/);

    const big = Buffer.alloc(5 * 1024 * 1024, 1);
    const tooBig = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: big, headers: auth });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().message).toMatch(/CSV_MAX_UPLOAD_BYTES/);
    // Without a Content-Length (chunked), the bytes are counted as they arrive.
    const chunked = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: Readable.from([big.subarray(0, 3e6), big.subarray(3e6)]), headers: auth });
    expect(chunked.headers['content-length'] === undefined || chunked.statusCode === 413).toBe(true);
    expect(chunked.statusCode).toBe(413);
    expect(await count(db, 'orgs')).toBe(0);
  });
});
