import type { EntityManager } from '@mikro-orm/postgresql';
import { run, sql, type Row } from '../../src/db/sql.js';

/**
 * Tests and benchmarks state their own checks and baselines as plain SQL text with `?` placeholders;
 * this runs them through the application's one SQL helper (values still bound). Not for src/.
 */
export function runSql(em: EntityManager, text: string, values: readonly unknown[] = []): Promise<Row[]> {
  const parts = text.split('?');
  if (parts.length !== values.length + 1) throw new Error(`runSql: ${parts.length - 1} placeholders, ${values.length} values`);
  const strings = Object.assign([...parts], { raw: [...parts] });
  return run(em, sql(strings, ...values));
}
