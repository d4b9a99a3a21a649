import { EntitySchema } from '@mikro-orm/core';

/**
 * Per table, the file its last committed import read (unchanged-files.ts): the file's SHA-256, the
 * settings it was read with, its row count, and the write counters of the table and its link tables
 * as that import left them. Written and read by SQL only; the schema keeps the migrations honest.
 */
export const CsvFileDigest = new EntitySchema({
  name: 'CsvFileDigest',
  tableName: 'csv_file_digests',
  properties: {
    tableName: { type: 'string', columnType: 'text', primary: true },
    file: { type: 'string', columnType: 'text' },
    settings: { type: 'string', columnType: 'text' },
    digest: { type: 'string', columnType: 'text' },
    rows: { type: 'bigint', columnType: 'bigint' },
    writes: { type: 'json', columnType: 'jsonb' },
    importedAt: { type: 'Date', columnType: 'timestamptz', defaultRaw: 'now()' },
  },
});
