import { EntitySchema, ReferenceKind } from '@mikro-orm/core';

/**
 * An upstream OneRoster provider the aggregator pulls from. The client secret is sealed with the
 * configured SOURCES_KEY (src/sync/source-secrets.ts): it must be usable to call out, so it cannot be hashed.
 */
export const Source = new EntitySchema({
  name: 'Source',
  tableName: 'sources',
  properties: {
    name: { type: 'string', columnType: 'text', primary: true },
    baseUrl: { type: 'string', columnType: 'text' },
    version: { type: 'string', columnType: 'text' },
    auth: { type: 'string', columnType: 'text' },
    tokenUrl: { type: 'string', columnType: 'text', nullable: true },
    clientId: { type: 'string', columnType: 'text' },
    clientSecretSealed: { type: 'string', columnType: 'text' },
    scope: { type: 'string', columnType: 'text', nullable: true },
    services: { type: 'string[]', columnType: 'text[]' },
    prefix: { type: 'string', columnType: 'text', nullable: true },
    /** `--every`: `serve` syncs the source this often (src/sync/schedule.ts); null: only on demand. */
    everySeconds: { type: 'integer', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
  },
});

/**
 * Which source delivered a record: a side table, so the OneRoster tables stay exactly as the model
 * derives them and records loaded by CSV simply have no row here.
 */
interface SourceRecordRow { tableName: string; sourcedId: string; source: string }
export const SourceRecord = new EntitySchema<SourceRecordRow>({
  name: 'SourceRecord',
  tableName: 'source_records',
  properties: {
    tableName: { type: 'string', columnType: 'text', primary: true },
    sourcedId: { type: 'string', columnType: 'text', primary: true },
    source: { kind: ReferenceKind.MANY_TO_ONE, entity: () => 'Source', deleteRule: 'cascade', updateRule: 'cascade' },
  },
  indexes: [{ properties: ['source', 'tableName'] }],
});

/** One sync run of a source: what `sources list` reports and where an incremental run starts from. */
interface SyncRunRow {
  id: number; source: string; mode: string; dryRun: boolean; startedAt: Date; finishedAt?: Date; status: string;
  error?: string; fetched: number; changed: number; deleted: number;
}
export const SyncRun = new EntitySchema<SyncRunRow>({
  name: 'SyncRun',
  tableName: 'sync_runs',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    source: { kind: ReferenceKind.MANY_TO_ONE, entity: () => 'Source', deleteRule: 'cascade', updateRule: 'cascade' },
    mode: { type: 'string', columnType: 'text' },
    dryRun: { type: 'boolean', default: false },
    startedAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
    finishedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    status: { type: 'string', columnType: 'text', default: 'running' },
    error: { type: 'string', columnType: 'text', nullable: true },
    fetched: { type: 'integer', default: 0 },
    changed: { type: 'integer', default: 0 },
    deleted: { type: 'integer', default: 0 },
  },
  indexes: [{ properties: ['source', 'startedAt'] }],
});

export const syncEntitySchemas = [Source, SourceRecord, SyncRun];
