import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ADMIN_SCOPE, SCOPES } from '../../src/auth/scopes.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { exportPackage } from '../../src/csv/export.js';
import { zipSink } from '../../src/csv/sinks.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';
import { basePackage, csvFile } from './fixtures.js';
import { count, scratchDir, writePackage } from './support.js';

let db: Database;
let app: FastifyInstance;
let keys: SigningKeys;
let zip: Buffer;

const token = async (scopes: string[]) => (await issueAccessToken(keys, { clientId: 't', scopes, ttlSeconds: 600 })).access_token;

/** A ZIP of the base package, made by exporting it from a scratch database. */
async function basePackageZip(): Promise<Buffer> {
  const scratch = await testDatabase();
  try {
    const { importPackage } = await import('../../src/csv/import.js');
    expect((await importPackage(scratch, writePackage(scratchDir('routes-src'), basePackage()))).ok).toBe(true);
    const file = path.join(scratchDir('routes-zip'), 'p.zip');
    await exportPackage(scratch, zipSink(fs.createWriteStream(file)));
    return fs.readFileSync(file);
  } finally {
    await scratch.close();
  }
}

const zipNames = (buf: Buffer) => yauzl.fromBufferPromise(buf, { lazyEntries: true }).then(async (z) => {
  const names: string[] = [];
  for await (const e of z.eachEntry()) names.push(e.fileName);
  return names.sort();
});

beforeAll(async () => {
  process.env.TMPDIR = scratchDir('routes-tmp'); // uploads are spooled to os.tmpdir()
  db = await testDatabase();
  keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: 'k'.repeat(40) } as NodeJS.ProcessEnv });
  app = await buildApp({ db, config: loadConfig({ ...process.env, AUTH: undefined, LOG_LEVEL: 'silent' }), keys });
  zip = await basePackageZip();
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('admin CSV routes', () => {
  it('401 without a token, 403 without the admin scope, on both routes', async () => {
    for (const [method, url] of [['POST', '/admin/csv/import'], ['GET', '/admin/csv/export']] as const) {
      const none = await app.inject({ method, url, payload: method === 'POST' ? zip : undefined, headers: { 'content-type': 'application/zip' } });
      expect(none.statusCode).toBe(401);
      const reader = await app.inject({ method, url, payload: method === 'POST' ? zip : undefined,
        headers: { 'content-type': 'application/zip', authorization: `Bearer ${await token([SCOPES['roster.readonly']])}` } });
      expect(reader.statusCode).toBe(403);
    }
    expect(await count(db, 'orgs')).toBe(0);
  });

  it('POST imports a ZIP and answers the report; a dry run and a bad package write nothing', async () => {
    const auth = { 'content-type': 'application/zip', authorization: `Bearer ${await token([ADMIN_SCOPE])}` };
    const dry = await app.inject({ method: 'POST', url: '/admin/csv/import?dryRun=true', payload: zip, headers: auth });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ ok: true, dryRun: true, version: '1.2', errorCount: 0 });
    expect(await count(db, 'orgs')).toBe(0);

    const res = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: zip, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json().files.map((f: { file: string }) => f.file)).toEqual(['orgs', 'academicSessions', 'courses', 'classes', 'users', 'roles', 'enrollments']);
    expect(await count(db, 'users')).toBe(2);

    const junk = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: Buffer.from('not a zip'), headers: auth });
    expect(junk.statusCode).toBe(400);
    const wrong = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: 'x', headers: { ...auth, 'content-type': 'text/plain' } });
    expect(wrong.statusCode).toBe(415);
  });

  it('POST answers 422 with file:line:column errors for an invalid package', async () => {
    {
      // An invalid package cannot be exported, so build the ZIP from a folder with yazl directly.
      const dir = writePackage(scratchDir('routes-bad'), { ...basePackage(), enrollments: csvFile('enrollments', 'e1,,,k1,s1,u9,student,,,') });
      const yazl = (await import('yazl')).default;
      const z = new yazl.ZipFile();
      for (const name of fs.readdirSync(dir)) z.addFile(path.join(dir, name), name);
      z.end();
      const chunks: Buffer[] = [];
      for await (const c of z.outputStream) chunks.push(c as Buffer);
      const res = await app.inject({ method: 'POST', url: '/admin/csv/import', payload: Buffer.concat(chunks),
        headers: { 'content-type': 'application/zip', authorization: `Bearer ${await token([ADMIN_SCOPE])}` } });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([expect.objectContaining({ file: 'enrollments.csv', line: 2, column: 'userSourcedId', value: 'u9' })]);
    }
  });

  it('GET downloads the package as a ZIP; ?since= gives a delta; a bad since is 400', async () => {
    const auth = { authorization: `Bearer ${await token([ADMIN_SCOPE])}` };
    const res = await app.inject({ method: 'GET', url: '/admin/csv/export', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="oneroster-bulk-.*\.zip"/);
    expect(await zipNames(res.rawPayload)).toEqual(['academicSessions.csv', 'classes.csv', 'courses.csv', 'enrollments.csv', 'manifest.csv', 'orgs.csv', 'roles.csv', 'users.csv']);
    const delta = await app.inject({ method: 'GET', url: '/admin/csv/export?since=2100-01-01T00:00:00Z', headers: auth });
    expect(await zipNames(delta.rawPayload)).toEqual(['manifest.csv']);
    const bad = await app.inject({ method: 'GET', url: '/admin/csv/export?since=yesterday', headers: auth });
    expect(bad.statusCode).toBe(400);
  });
});
