/**
 * The hand-written baseline of `npm run bench:rest`: the equivalent SQL through a pg pool and the
 * OneRoster JSON built by hand, as a Fastify app of its own.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import pg from 'pg';
import { jsonBytes } from '../src/rest/json-bytes.js';
import { profileIdUri } from '../src/shared/profile-id.js';

const ORIGIN = 'http://localhost';
const R = '/ims/oneroster/rostering/v1p2';

export type Obj = Record<string, unknown>;
const ref = (collection: string, type: string) => (id: string) =>
  ({ href: `${ORIGIN}${R}/${collection}/${encodeURIComponent(id)}`, sourcedId: id, type });
const orgRef = ref('orgs', 'org');
const userRef = ref('users', 'user');
const classRef = ref('classes', 'class');
const resourceRef = (id: string) => ({ href: `${ORIGIN}/ims/oneroster/resources/v1p2/resources/${encodeURIComponent(id)}`, sourcedId: id, type: 'resource' });

/** Copies the non-empty values, in order: OneRoster omits empty optional properties. */
function compact(entries: [string, unknown][]): Obj {
  const out: Obj = {};
  for (const [k, v] of entries) if (v != null && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}
const DLM = `to_char(t.date_last_modified at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const USER_COLUMNS = `t.sourced_id, t.status, ${DLM} as dlm, t.metadata, t.user_master_identifier, t.username, t.user_ids, t.enabled_user,
  t.given_name, t.family_name, t.middle_name, t.preferred_first_name, t.preferred_middle_name, t.preferred_last_name, t.pronouns,
  (select json_agg(json_build_object('roleType', r.role_type, 'role', r.role, 'org', r.org_sourced_id, 'userProfile', r.user_profile,
     'beginDate', r.begin_date, 'endDate', r.end_date) order by r.sourced_id) from user_roles r where r.user_sourced_id = t.sourced_id) as roles,
  (select json_agg(json_build_object('profileId', p.sourced_id, 'profileType', p.profile_type, 'vendorId', p.vendor_id,
     'applicationId', p.application_id, 'description', p.description, 'credentials', p.credentials) order by p.sourced_id)
     from user_profiles p where p.user_sourced_id = t.sourced_id) as profiles,
  t.primary_org_sourced_id, t.identifier, t.email, t.sms, t.phone,
  (select array_agg(a.agent_sourced_id order by a.agent_sourced_id) from user_agents a where a.user_sourced_id = t.sourced_id) as agents,
  t.grades, t.password,
  (select array_agg(distinct ur.resource_sourced_id) from user_resources ur where ur.user_sourced_id = t.sourced_id) as resources`;

const ENROLLMENT_COLUMNS = `t.*, ${DLM} as dlm`;

export function userJson(r: Obj): Obj {
  const roles = (r.roles as Obj[] | null ?? []).map((x) => compact([['roleType', x.roleType], ['role', x.role], ['org', orgRef(x.org as string)],
    ['userProfile', x.userProfile && profileIdUri(x.userProfile as string)], ['beginDate', x.beginDate], ['endDate', x.endDate]]));
  const profiles = (r.profiles as Obj[] | null ?? []).map((p) => compact([['profileId', profileIdUri(p.profileId as string)], ['profileType', p.profileType],
    ['vendorId', p.vendorId], ['applicationId', p.applicationId], ['description', p.description],
    ['credentials', (p.credentials as Obj[] | null)?.map((c) => compact(Object.entries(c)))]]));
  return compact([
    ['sourcedId', r.sourced_id], ['status', r.status], ['dateLastModified', r.dlm], ['metadata', r.metadata],
    ['userMasterIdentifier', r.user_master_identifier], ['username', r.username], ['userIds', r.user_ids],
    ['enabledUser', r.enabled_user == null ? null : String(r.enabled_user)], ['givenName', r.given_name], ['familyName', r.family_name],
    ['middleName', r.middle_name], ['preferredFirstName', r.preferred_first_name], ['preferredMiddleName', r.preferred_middle_name],
    ['preferredLastName', r.preferred_last_name], ['pronouns', r.pronouns], ['roles', roles], ['userProfiles', profiles],
    ['primaryOrg', r.primary_org_sourced_id && orgRef(r.primary_org_sourced_id as string)], ['identifier', r.identifier],
    ['email', r.email], ['sms', r.sms], ['phone', r.phone], ['agents', (r.agents as string[] | null)?.map(userRef)],
    ['grades', r.grades], ['password', r.password], ['resources', (r.resources as string[] | null)?.map(resourceRef)],
  ]);
}

function enrollmentJson(r: Obj): Obj {
  return compact([
    ['sourcedId', r.sourced_id], ['status', r.status], ['dateLastModified', r.dlm], ['metadata', r.metadata],
    ['user', userRef(r.user_sourced_id as string)], ['class', classRef(r.class_sourced_id as string)], ['school', orgRef(r.school_sourced_id as string)],
    ['role', r.role], ['primary', r.primary == null ? null : String(r.primary)], ['beginDate', r.begin_date], ['endDate', r.end_date],
  ]);
}

/** The hand-written baseline: plain SQL through a pg pool, one page statement plus one count, JSON built by hand. */
export function baselineApp(pool: pg.Pool, encodeLikeRest = false, prefix = '/baseline'): FastifyInstance {
  const app = Fastify({ logger: false });
  // Dates as the text PostgreSQL prints (YYYY-MM-DD), as the graph serves them.
  const types: pg.CustomTypesConfig = {
    getTypeParser: ((oid: number) => (oid === 1082 ? (v: string) => v : pg.types.getTypeParser(oid))) as pg.CustomTypesConfig['getTypeParser'],
  };
  /**
   * `ids` selects the page's keys in order; `columns` reads them. Paging the keys first means the
   * per-row subqueries run for the page only, not for every row that OFFSET skips.
   */
  const page = async (query: Obj, table: string, columns: string, ids: string, count: string, values: unknown[], json: (r: Obj) => Obj, key: string) => {
    const limit = Number(query.limit ?? 100);
    const offset = Number(query.offset ?? 0);
    const text = `select ${columns} from (${ids} limit ${limit} offset ${offset}) p join ${table} t
      on t.sourced_id = p.sourced_id order by t.sourced_id`;
    const [list, total] = await Promise.all([
      pool.query({ text, values, types }),
      pool.query({ text: count, values }),
    ]);
    return { key, body: list.rows.map(json), total: Number(total.rows[0].n) };
  };
  // Fastify's own JSON.stringify of the body, as a hand-written route does; `encodeLikeRest` sends the
  // bytes the REST layer's encoder writes instead (BENCH_BASELINE_ENCODER=rest), to compare the rest.
  const send = (reply: FastifyReply, p: { key: string; body: Obj[]; total: number }) => {
    reply.header('x-total-count', String(p.total));
    return encodeLikeRest ? reply.type('application/json; charset=utf-8').send(jsonBytes({ [p.key]: p.body })) : reply.send({ [p.key]: p.body });
  };

  app.get(`${prefix}/users`, async (req, reply) => send(reply, await page(req.query as Obj, 'users', USER_COLUMNS,
    'select sourced_id from users order by sourced_id', 'select count(*) as n from users', [], userJson, 'users')));
  app.get(`${prefix}/enrollments`, async (req, reply) => send(reply, await page(req.query as Obj, 'enrollments', ENROLLMENT_COLUMNS,
    'select sourced_id from enrollments order by sourced_id', 'select count(*) as n from enrollments', [], enrollmentJson, 'enrollments')));
  app.get<{ Params: { id: string } }>(`${prefix}/schools/:id/students`, async (req, reply) => {
    const school = await pool.query(`select 1 from orgs where sourced_id = $1 and type = 'school'`, [req.params.id]);
    if (!school.rowCount) return reply.code(404).send({ imsx_codeMajor: 'failure' });
    const students = `select distinct user_sourced_id from user_roles where org_sourced_id = $1 and role = 'student'`;
    return send(reply, await page(req.query as Obj, 'users', USER_COLUMNS,
      `select sourced_id from users where sourced_id in (${students}) order by sourced_id`,
      `select count(*) as n from users t where t.sourced_id in (${students})`, [req.params.id], userJson, 'users'));
  });
  return app;
}

