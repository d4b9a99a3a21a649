import type { EntityName } from '../../src/model/dsl.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ClientStore, type ClientRules } from '../../src/auth/clients.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/signing-keys.js';
import { issueAccessToken } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/db/config.js';
import type { Database } from '../../src/db/orm.js';
import { seedDistrict } from '../../src/seed/seed.js';
import type { DistrictOptions } from '../../src/seed/district.js';
import { TEST_SIGNING_KEY } from '../support/app.js';
import { testDatabase } from '../support/db.js';

/** A small district of three schools: two vendors limited to one school each, one to the district. */
export const SHARING_DISTRICT: DistrictOptions = { schools: 3, students: 18, seed: 11, classesPerStudent: 3, classSize: 6, lineItemsPerClass: 2 };

export interface SharingFixture {
  db: Database;
  app: FastifyInstance;
  keys: SigningKeys;
  /** A stored client with these scopes and rules, and a bearer header for it. */
  client: (scopes: string[], rules?: ClientRules) => Promise<{ clientId: string; auth: string }>;
  close: () => Promise<void>;
}

export async function sharingFixture(seed: DistrictOptions = SHARING_DISTRICT): Promise<SharingFixture> {
  const db = await testDatabase();
  await seedDistrict(db.orm.em, seed);
  const keys = await loadSigningKeys({ env: { JWT_SIGNING_KEY: TEST_SIGNING_KEY } as NodeJS.ProcessEnv });
  const app = await buildApp({ db, config: loadConfig({ ...process.env, LOG_LEVEL: 'silent', AUTH: 'on' } as NodeJS.ProcessEnv), keys });
  const store = new ClientStore(db.orm.em);
  return {
    db, app, keys,
    async client(scopes, rules = {}) {
      const added = await store.add('vendor', scopes, rules);
      const token = await issueAccessToken(keys, { clientId: added.client_id, scopes: added.scopes, ttlSeconds: 600, generation: 0 });
      return { clientId: added.client_id, auth: `Bearer ${token.access_token}` };
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

const REF_TYPES: Record<string, EntityName> = {
  org: 'Org', academicSession: 'AcademicSession', course: 'Course', class: 'Class', user: 'User', resource: 'Resource',
  category: 'Category', lineItem: 'LineItem', scoreScale: 'ScoreScale', assessmentLineItem: 'AssessmentLineItem',
};

/** Every GUIDRef in a REST body, as [entity, sourcedId]. */
export function guidRefs(value: unknown, out: Array<[EntityName, string]> = []): Array<[EntityName, string]> {
  if (Array.isArray(value)) for (const v of value) guidRefs(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const type = typeof o.type === 'string' ? REF_TYPES[o.type] : undefined;
    if (typeof o.href === 'string' && typeof o.sourcedId === 'string' && type) out.push([type, o.sourcedId]);
    else for (const v of Object.values(o)) guidRefs(v, out);
  }
  return out;
}
