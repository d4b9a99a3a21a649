import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../src/auth/clients.js';
import { SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import { runSql } from '../support/sql.js';
import { seedDistrict } from '../../src/seed/seed.js';
import { graphql, testApp } from '../support/app.js';
import { testDatabase } from '../support/db.js';

describe('client credentials against clients stored in the database', () => {
  let db: Database;
  let app: FastifyInstance;
  let log: () => string;
  let client: { client_id: string; client_secret: string };
  beforeAll(async () => {
    db = await testDatabase();
    await seedDistrict(db.orm.em, { schools: 1, students: 10, seed: 2 });
    ({ app, log } = await testApp(db));
    client = await new ClientStore(db.orm.em).add('sis-sync', ['roster-core.readonly']);
  });
  afterAll(async () => { await app?.close(); await db?.close(); });

  const tokenRequest = (body: string, headers: Record<string, string> = {}) => app.inject({
    method: 'POST', url: '/oauth/token', payload: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });

  it('stores only a scrypt hash of the secret', async () => {
    const [row] = await runSql(db.orm.em.fork(), 'select secret_hash from oauth_clients where client_id = ?', [client.client_id]);
    expect(String(row.secret_hash)).toMatch(/^scrypt\$/);
    expect(String(row.secret_hash)).not.toContain(client.client_secret);
  });

  it('issues a token by Basic auth that opens the graph, and refuses a wrong secret', async () => {
    const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
    const res = await tokenRequest('grant_type=client_credentials', { authorization: `Basic ${basic}` });
    expect(res.statusCode).toBe(200);
    const token = res.json() as { access_token: string; scope: string; expires_in: number; token_type: string };
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: SCOPES['roster-core.readonly'] });
    const q = await graphql(app, '{ schools { totalCount } }', `Bearer ${token.access_token}`);
    expect(q.body.data.schools.totalCount).toBe(1);

    const wrong = await tokenRequest(`grant_type=client_credentials&client_id=${client.client_id}&client_secret=nope`);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    const tooMuch = await tokenRequest(`grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}&scope=${encodeURIComponent(SCOPES['roster.readonly'])}`);
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('never writes a secret or a token to the log', async () => {
    const ok = await tokenRequest(`grant_type=client_credentials&client_id=${client.client_id}&client_secret=${client.client_secret}`);
    const { access_token } = ok.json() as { access_token: string };
    await graphql(app, '{ orgs { totalCount } }', `Bearer ${access_token}`);
    await graphql(app, '{ orgs { totalCount } }', `Bearer ${access_token}x`);
    await app.inject({ method: 'GET', url: `/graphql?query=%7B__typename%7D&token=${access_token}`, headers: { authorization: `Bearer ${access_token}` } });
    const text = log();
    expect(text.length).toBeGreaterThan(100);
    expect(text).not.toContain(client.client_secret);
    expect(text).not.toContain(access_token);
    expect(text).not.toContain(access_token.split('.')[2]);
  });

  it('cannot be locked out by someone who only knows the client id', async () => {
    const form = (secret: string) => new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret }).toString();
    const from = (remoteAddress: string, secret: string) => app.inject({
      method: 'POST', url: '/oauth/token', payload: form(secret), remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    for (let i = 1; i <= 5; i++) expect((await from(`198.51.100.${i}`, 'guess')).statusCode).toBe(401);
    expect((await from('203.0.113.50', client.client_secret)).statusCode).toBe(200);
  });
});
