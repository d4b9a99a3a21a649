import { column, sql, type Sql } from '../db/sql.js';

/**
 * True for a grade outbox row (under `alias`) that a later row of the same record and source follows (and
 * matches `where`, over that later row as `n`): the newer write supersedes it.
 */
export const laterRowOf = (alias: string, where: Sql = sql`true`) => sql`exists (select 1 from grade_outbox n
  where n.source_name = ${column(alias, 'source_name')} and n.record_type = ${column(alias, 'record_type')}
    and n.sourced_id = ${column(alias, 'sourced_id')} and n.id > ${column(alias, 'id')} and ${where})`;
