import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, column, compile, compileForPg, or, run, sql, tableAs } from '../../src/db/sql.js';
import type { Database } from '../../src/db/orm.js';
import { testDatabase } from '../support/db.js';

describe('the SQL helper', () => {
  let db: Database;
  beforeAll(async () => { db = await testDatabase(); });
  afterAll(async () => { await db?.close(); });

  it('binds every value and quotes every identifier', () => {
    const hostile = `x'; drop table orgs; --`;
    const { text, values } = compile(sql`select ${column('t', 'sourced_id')} from ${tableAs('orgs', 't')} where ${column('t', 'title')} = ${hostile}`);
    expect(text).toBe('select "t"."sourced_id" from "orgs" as "t" where "t"."title" = ?');
    expect(values).toEqual([hostile]);
  });

  it('compiles numbered placeholders for a pg client of its own', () => {
    expect(compileForPg(sql`select ${1}, ${'a'}`)).toEqual({ text: 'select $1, $2', values: [1, 'a'] });
  });

  it('combines conditions, empty lists included', () => {
    expect(compile(and([])).text).toBe('true');
    expect(compile(or([])).text).toBe('false');
    expect(compile(and([sql`a = ${1}`, or([sql`b = ${2}`, sql`c`])])).text).toBe('((a = ?) and (((b = ?) or (c))))');
  });

  it('runs on the database with bound values, inside and outside a transaction', async () => {
    const em = db.orm.em.fork();
    expect(await run(em, sql`select ${'a?b'}::text as v, ${[1, 2]}::int[] as xs`)).toEqual([{ v: 'a?b', xs: [1, 2] }]);
    await em.transactional(async (tx) => {
      await run(tx, sql`create temporary table t_sql (v text) on commit drop`);
      await run(tx, sql`insert into t_sql values (${'inside'})`);
      expect(await run(tx, sql`select v from t_sql`)).toEqual([{ v: 'inside' }]);
    });
  });
});
