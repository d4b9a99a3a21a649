import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/orm.js';
import { run, sql } from '../../src/db/sql.js';
import { testDatabase } from '../support/db.js';

/**
 * Statements with parameters on several connections at once, outside transactions, as concurrent requests
 * send them. Each must run its own statement with its own parameters: on the embedded database the socket
 * server queues protocol messages one by one, and a Parse/Bind/Execute cycle of one connection must not
 * interleave with another's (src/db/embedded-worker.ts).
 */
describe('concurrent statements with parameters', () => {
  let db: Database;
  beforeAll(async () => {
    db = await testDatabase();
    await run(db.orm.em.fork(), sql`create table concurrent_probe (id int primary key, v text not null)`);
  });
  afterAll(async () => db?.close());

  it('each connection gets the answer to its own statement, never an error or another\'s', async () => {
    const failures: string[] = [];
    const worker = async (w: number) => {
      for (let i = 0; i < 400; i++) {
        const n = w * 1000 + i;
        try {
          // Two shapes of statement, so that a statement bound with another's parameters shows.
          if (w % 3 === 0) {
            // Some connections run transactions meanwhile, as writes do.
            const rows = await db.orm.em.fork().transactional(async (tx) => {
              await run(tx, sql`select ${n}::int as n`);
              return run(tx, sql`insert into concurrent_probe (id, v) values (${n}, ${`w${w}`}) returning id, v`);
            });
            if (rows[0]?.id !== n || rows[0]?.v !== `w${w}`) failures.push(`worker ${w} inserted ${n} in a transaction, got ${JSON.stringify(rows)}`);
          } else if (i % 2) {
            const [row] = await run(db.orm.em.fork(), sql`select ${n}::int as n, ${`w${w}`}::text as w`);
            if (row!.n !== n || row!.w !== `w${w}`) failures.push(`worker ${w} asked ${n} got ${JSON.stringify(row)}`);
          } else {
            const rows = await run(db.orm.em.fork(), sql`insert into concurrent_probe (id, v) values (${n}, ${`w${w}`}) returning id, v`);
            if (rows[0]?.id !== n || rows[0]?.v !== `w${w}`) failures.push(`worker ${w} inserted ${n} got ${JSON.stringify(rows)}`);
          }
        } catch (err) {
          failures.push(`worker ${w}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all([1, 2, 3, 4, 5, 6].map(worker));
    expect(failures.slice(0, 5)).toEqual([]);
    const [count] = await run(db.orm.em.fork(), sql`select count(*)::int as n from concurrent_probe`);
    expect(count!.n).toBe(2 * 400 + 4 * 200);
  });
});
