import { EntitySchema, ReferenceKind, type EntitySchemaProperty } from '@mikro-orm/core';
import type { EntityDef, FieldDef } from '../model/dsl.js';
import { entityDefs } from '../model/index.js';
import { syncEntitySchemas } from '../sync/entities.js';
import { CsvFileDigest } from '../csv/file-digest-entity.js';

/** Rows are plain objects keyed by property name; the ORM works with them through EntitySchema. */
import type { Row } from './sql.js';

export type { Row };

/** A property of a row schema; references name their target entity by model name. */
type PropertyOptions = EntitySchemaProperty<Row, Row>;

function scalarProperty(f: FieldDef): PropertyOptions {
  const nullable = !f.required;
  switch (f.kind) {
    case 'string': case 'enum': return { type: 'string', columnType: 'text', nullable, index: !!('index' in f && f.index) };
    case 'date': return { type: 'string', columnType: 'date', nullable };
    case 'datetime': return { type: 'Date', columnType: 'timestamptz', nullable };
    case 'float': return { type: 'double', columnType: 'double precision', nullable };
    case 'int': return { type: 'integer', nullable };
    case 'boolean': return { type: 'boolean', nullable };
    case 'strings': return { type: 'string[]', columnType: 'text[]', nullable };
    case 'json': return { type: 'json', columnType: 'jsonb', nullable };
    case 'ref': return {
      kind: ReferenceKind.MANY_TO_ONE, entity: () => f.target, nullable, index: true, primary: !!f.primary,
      deleteRule: f.primary ? 'cascade' : 'no action', updateRule: 'cascade',
    };
  }
}

/** The OneRoster base fields every top-level class carries (model.md §0.1). */
const baseProperties: Record<string, PropertyOptions> = {
  sourcedId: { type: 'string', columnType: 'text', primary: true },
  status: { type: 'string', columnType: 'text', default: 'active' },
  dateLastModified: {
    type: 'Date', columnType: 'timestamptz', index: true, defaultRaw: 'now()',
    onCreate: () => new Date(), onUpdate: () => new Date(),
  },
  metadata: { type: 'json', columnType: 'jsonb', nullable: true },
};

function schemaOf(def: EntityDef): EntitySchema {
  const properties: Record<string, PropertyOptions> = def.base ? { ...baseProperties } : {};
  for (const [name, f] of Object.entries(def.fields)) properties[name] = scalarProperty(f);
  // Pothos/loader code reads rows, not class instances; a plain schema without a class is enough.
  return new EntitySchema({ name: def.name, tableName: def.table, properties });
}

/**
 * API clients. The secret is stored as a scrypt hash (checked at the token endpoint) and, for OAuth 1.0a
 * request signing on the v1.1 paths (HMAC needs the secret itself), encrypted with the server's
 * client-secret key (src/auth/secret-box.ts). `tokenGeneration` is copied into every token issued to the
 * client and raised by `rotate-secret`, which revokes the tokens issued before.
 */
/** A row of oauth_clients (src/auth/clients.ts). */
export interface OAuthClientRow {
  clientId: string; name: string; secretHash: string; signingSecret: string | null; tokenGeneration: number; scopes: string[]; createdAt: Date;
  allowedOrgs: string[] | null; deniedFields: string[] | null;
}

export const OAuthClient = new EntitySchema<OAuthClientRow>({
  name: 'OAuthClient',
  tableName: 'oauth_clients',
  properties: {
    clientId: { type: 'string', columnType: 'text', primary: true },
    name: { type: 'string', columnType: 'text' },
    secretHash: { type: 'string', columnType: 'text' },
    signingSecret: { type: 'string', columnType: 'text', nullable: true },
    tokenGeneration: { type: 'integer', default: 0 },
    scopes: { type: 'string[]', columnType: 'text[]' },
    /** Sharing rules (src/auth/sharing/): the orgs the client is limited to, null for the whole district. */
    allowedOrgs: { type: 'string[]', columnType: 'text[]', nullable: true },
    /** `type.field` names never served to the client. */
    deniedFields: { type: 'string[]', columnType: 'text[]', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});

/**
 * Which client limited to some orgs created a category (src/auth/sharing/writes.ts): a category has no org, so
 * this is how such a client may send its own category again before any line item of its schools uses it.
 */
export const CategoryCreator = new EntitySchema({
  name: 'CategoryCreator',
  tableName: 'category_creators',
  properties: {
    sourcedId: { type: 'string', columnType: 'text', primary: true },
    clientId: { type: 'string', columnType: 'text' },
  },
});

/** OAuth 1.0a nonces seen per client, kept until their timestamp leaves the accepted window. */
export const OAuthNonce = new EntitySchema({
  name: 'OAuthNonce',
  tableName: 'oauth_nonces',
  properties: {
    clientId: { type: 'string', columnType: 'text', primary: true },
    nonce: { type: 'string', columnType: 'text', primary: true },
    expiresAt: { type: 'Date', columnType: 'timestamptz', index: true },
  },
});

/** Small named server facts shared by every process: the client-secret key, the demo-district marker. */
export const ServerSetting = new EntitySchema({
  name: 'ServerSetting',
  tableName: 'server_settings',
  properties: {
    name: { type: 'string', columnType: 'text', primary: true },
    value: { type: 'json', columnType: 'jsonb' },
  },
});

/** Recent failed client authentications per limiter key (src/auth/failure-limiter.ts), shared by every instance. */
export const AuthFailure = new EntitySchema({
  name: 'AuthFailure',
  tableName: 'auth_failures',
  properties: {
    key: { type: 'string', columnType: 'text', primary: true },
    failuresMs: { type: 'unknown', columnType: 'bigint[]' },
    touchedAt: { type: 'Date', columnType: 'timestamptz', index: true },
  },
});

/** JWT signing keys (src/auth/signing-keys.ts): the newest is current, older ones verify until retired. */
export const SigningKeyRow = new EntitySchema({
  name: 'SigningKeyRow',
  tableName: 'signing_keys',
  properties: {
    kid: { type: 'string', columnType: 'text', primary: true },
    key: { type: 'string', columnType: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
  },
});

export const entitySchemas: EntitySchema[] = [...entityDefs.map(schemaOf), OAuthClient, OAuthNonce, CategoryCreator, ServerSetting, AuthFailure, SigningKeyRow, ...syncEntitySchemas, CsvFileDigest];
