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
    /** `--push-grades`: line items and results written here for this source's classes go back to it (src/sync/outbox-*.ts). */
    pushGrades: { type: 'boolean', default: false },
    /** `--page-size`: records asked for per page (src/sync/upstream.ts); null: the default. */
    pageSize: { type: 'integer', nullable: true },
    /** `--push-concurrency`: grade requests sent to it at once (src/sync/outbox-deliver.ts); null: the default. */
    pushConcurrency: { type: 'integer', nullable: true },
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
    // No foreign key: a run writes a row per record, and the key's check per row cost as much as the row (migration 20261207020500).
    source: { type: 'string', columnType: 'text', fieldName: 'source_name' },
  },
  indexes: [{ properties: ['source', 'tableName'] }],
});

/** One sync run of a source: what `sources list` reports and where an incremental run starts from. */
interface SyncRunRow {
  id: number; source: string; mode: string; dryRun: boolean; startedAt: Date; finishedAt?: Date; status: string;
  error?: string; fetched: number; changed: number; deleted: number; skipped?: Record<string, string>;
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
    /** Optional collections the upstream did not offer this run: collection → why (src/sync/not-offered.ts). */
    skipped: { type: 'json', columnType: 'jsonb', nullable: true },
  },
  indexes: [{ properties: ['source', 'startedAt'] }],
});

/**
 * The grade outbox: one row per line item, result, category or score scale written here that must reach its source's
 * gradebook, inserted in the write's own transaction (src/sync/outbox-enqueue.ts) and sent by
 * src/sync/outbox-deliver.ts. Rows are kept after delivery (delivered_at) or permanent failure (failed_at).
 */
interface GradeOutboxRow {
  id: number; source: string; recordType: string; sourcedId: string; method: string; body?: unknown; createdAt: Date;
  attempts: number; nextAttemptAt: Date; claimedUntil?: Date; lastError?: string; deliveredAt?: Date; failedAt?: Date;
}
export const GradeOutbox = new EntitySchema<GradeOutboxRow>({
  name: 'GradeOutbox',
  tableName: 'grade_outbox',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    source: { kind: ReferenceKind.MANY_TO_ONE, entity: () => 'Source', deleteRule: 'cascade', updateRule: 'cascade' },
    /** `LineItem` or `Result`; with sourcedId (as stored here), the record whose rows are delivered in order. */
    recordType: { type: 'string', columnType: 'text' },
    sourcedId: { type: 'string', columnType: 'text' },
    method: { type: 'string', columnType: 'text' },
    /** The OneRoster 1.2 JSON of a PUT (null for a DELETE), with the upstream's own sourcedIds. */
    body: { type: 'json', columnType: 'jsonb', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
    attempts: { type: 'integer', default: 0 },
    nextAttemptAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
    /** A worker sending the row holds it until then; a crashed worker's claim simply runs out. */
    claimedUntil: { type: 'Date', columnType: 'timestamptz', nullable: true },
    lastError: { type: 'string', columnType: 'text', nullable: true },
    deliveredAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    failedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
  // The second: a record's rows in order (delivery), and whether a sync must leave the record alone (outbox-pending.ts).
  indexes: [{ properties: ['source', 'deliveredAt', 'failedAt', 'id'] }, { properties: ['source', 'recordType', 'sourcedId', 'id'] }],
});

export const syncEntitySchemas = [Source, SourceRecord, SyncRun, GradeOutbox];
