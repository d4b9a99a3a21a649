/**
 * The hand-written baseline server of `npm run bench:load`, run as a process of its own: Fastify and a pg
 * pool answering the endpoints the bench loads at the service's own paths, with the same work a real route
 * must do (a bearer token verified with jose, the client secret checked with scrypt at the token endpoint),
 * and none of the service's layers (no GraphQL parsing or execution, no ORM, no loaders).
 * Environment: DATABASE_URL, PORT, JWT_SIGNING_KEY (the service's signing key).
 */
import formbody from '@fastify/formbody';
import { SignJWT, jwtVerify } from 'jose';
import pg from 'pg';
import { verifySecret } from '../src/auth/secrets.js';
import { baselineApp, USER_COLUMNS, userJson, type Obj } from './rest-baseline.js';

const R = '/ims/oneroster/rostering/v1p2';
const key = new TextEncoder().encode(process.env.JWT_SIGNING_KEY!);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10, options: '-c jit=off' });
const app = baselineApp(pool, true, R);
await app.register(formbody);

app.addHook('onRequest', async (req, reply) => {
  if (req.url.startsWith('/oauth/token')) return;
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  try {
    if (!token) throw new Error('no token');
    await jwtVerify(token, key, { algorithms: ['HS256'] });
  } catch {
    return reply.code(401).send({ imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: 'bad token' });
  }
});

app.get<{ Params: { id: string } }>(`${R}/users/:id`, async (req, reply) => {
  const { rows } = await pool.query(`select ${USER_COLUMNS} from users t where t.sourced_id = $1`, [req.params.id]);
  if (!rows[0]) return reply.code(404).send({ imsx_codeMajor: 'failure' });
  return { user: userJson(rows[0]) };
});

app.get<{ Params: { id: string }; Querystring: { limit?: string; offset?: string } }>(`${R}/classes/:id/students`, async (req, reply) => {
  const found = await pool.query('select 1 from classes where sourced_id = $1', [req.params.id]);
  if (!found.rowCount) return reply.code(404).send({ imsx_codeMajor: 'failure' });
  const students = `select e.user_sourced_id from enrollments e where e.class_sourced_id = $1 and e.role = 'student'`;
  const [page, total] = await Promise.all([
    pool.query(`select ${USER_COLUMNS} from users t where t.sourced_id in (${students}) order by t.sourced_id
      limit ${Number(req.query.limit ?? 100)} offset ${Number(req.query.offset ?? 0)}`, [req.params.id]),
    pool.query(`select count(*)::int as n from users t where t.sourced_id in (${students})`, [req.params.id]),
  ]);
  reply.header('x-total-count', String(total.rows[0].n));
  return { users: page.rows.map(userJson) };
});

/** The two GraphQL operations the bench sends, answered by hand-written SQL in the shape GraphQL returns. */
const GRAPHQL_FIELDS = `t.sourced_id as "sourcedId", t.given_name as "givenName", t.family_name as "familyName", t.email`;
app.post<{ Body: { operationName?: string; variables?: Obj } }>('/graphql', async (req) => {
  if (req.body.operationName === 'Users') {
    const { rows } = await pool.query(`select ${GRAPHQL_FIELDS} from users t order by t.sourced_id limit 100`);
    return { data: { users: { nodes: rows } } };
  }
  const { rows } = await pool.query(`select ${GRAPHQL_FIELDS},
    coalesce((select json_agg(json_build_object('role', r.role, 'org', json_build_object('sourcedId', r.org_sourced_id)) order by r.sourced_id)
      from user_roles r where r.user_sourced_id = t.sourced_id), '[]') as roles
    from users t where t.sourced_id = $1`, [req.body.variables?.id]);
  return { data: { user: rows[0] ?? null } };
});

app.post<{ Body: Record<string, string> }>('/oauth/token', async (req, reply) => {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const [clientId, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [req.body.client_id, req.body.client_secret];
  const { rows } = await pool.query('select secret_hash, scopes from oauth_clients where client_id = $1', [clientId]);
  if (!rows[0] || !secret || !(await verifySecret(secret, rows[0].secret_hash))) return reply.code(401).send({ error: 'invalid_client' });
  const scope = (rows[0].scopes as string[]).join(' ');
  const access_token = await new SignJWT({ scope, client_id: clientId }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(clientId!).setIssuedAt().setExpirationTime('1h').sign(key);
  return { access_token, token_type: 'Bearer', expires_in: 3600, scope };
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.send?.('listening');
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
