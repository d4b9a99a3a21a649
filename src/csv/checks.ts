import { and, sql, type Sql, type SqlSession } from '../db/sql.js';
import type { FileSpec } from './columns.js';
import { MAX_REPORTED_ERRORS, type IssueList } from './report.js';
import { stagingTable } from './stage.js';

/**
 * Package-wide checks that need every file staged: duplicate sourcedIds within a file, and
 * references that resolve neither within the package nor in the database. Set-based anti-joins.
 */
export async function checkStaged(session: SqlSession, staged: FileSpec[], issues: IssueList) {
  // Every check is an anti-join of a big set against another: hash joins, never a nested loop
  // over an unnest() the planner underestimates (that once made a users check take minutes).
  await session.run(sql`set local enable_nestloop = off`);
  for (const spec of staged) await checkDuplicates(session, spec, issues);
  for (const spec of staged) {
    for (const col of spec.columns.filter((c) => c.refTable && c.column !== 'sourced_id')) {
      const inPackage = staged.filter((s) => s.table === col.refTable).map(stagingTable);
      const missing = (id: Sql) => and([
        ...inPackage.map((t) => sql`not exists (select 1 from ${sql.table(t)} p where p.sourced_id = ${id})`),
        sql`not exists (select 1 from ${sql.table(col.refTable!)} d where d.sourced_id = ${id})`,
      ]);
      const stg = sql.table(stagingTable(spec));
      const value = sql.ref(`s.${col.column}`);
      const query = col.kind === 'idList'
        ? sql`select s.line, r.id from ${stg} s cross join unnest(${value}) r(id) where ${missing(sql`r.id`)}`
        : sql`select s.line, ${value} as id from ${stg} s where ${value} is not null and ${missing(value)}`;
      const rows = await session.run(sql`${query} order by 1 limit ${MAX_REPORTED_ERRORS}`);
      for (const r of rows) {
        issues.add({ file: `${spec.key}.csv`, line: Number(r.line), column: col.name, value: String(r.id), reason: `no ${col.refTable} record with this sourcedId in the package or the database` });
      }
    }
  }
  await session.run(sql`set local enable_nestloop = on`);
}

async function checkDuplicates(session: SqlSession, spec: FileSpec, issues: IssueList) {
  const stg = sql.table(stagingTable(spec));
  // Count first (a hash aggregate), collect lines only for the few duplicated ids.
  const rows = await session.run(sql`with dup as (select sourced_id from ${stg} group by sourced_id having count(*) > 1 limit ${MAX_REPORTED_ERRORS})
     select s.sourced_id, array_agg(s.line order by s.line) as lines from ${stg} s join dup using (sourced_id)
     group by s.sourced_id order by min(s.line)`);
  for (const r of rows) {
    const lines = r.lines as number[];
    for (const line of lines.slice(1)) {
      issues.add({ file: `${spec.key}.csv`, line, column: 'sourcedId', value: String(r.sourced_id), reason: `duplicate sourcedId (first on line ${lines[0]})` });
    }
  }
}
