import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import type { Database } from '../../src/db/orm.js';
import { run } from '../../src/db/sql.js';
import { readTableStats } from '../../src/graph/cost.js';
import { relations } from '../../src/model/relations.js';
import { ownerColumn } from '../../src/graph/cost.js';
import { seededApp } from '../support/app.js';

/** The cost estimate caps page sizes by what the tables hold (their statistics), under default settings. */
let db: Database;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  ({ db, app, token } = await seededApp({ schools: 2, students: 60, seed: 5, classSize: 10, classesPerStudent: 3 },
    [SCOPES['roster.readonly'], SCOPES['gradebook.readonly']]));
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

const post = (query: string, variables?: Record<string, unknown>) => app.inject({
  method: 'POST', url: '/graphql', payload: { query, variables },
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
});

/** bench/graph.ts's dashboard. */
const DASHBOARD = `query Dashboard($school: ID!) {
  school(sourcedId: $school) {
    sourcedId name
    classes(first: 1000) {
      nodes {
        sourcedId title
        students(first: 100) { nodes { sourcedId givenName familyName } }
        lineItems(first: 100) {
          nodes { sourcedId title dueDate results(first: 100) { nodes { sourcedId score scoreStatus student { sourcedId } } } }
        }
      }
    }
  }
}`;

describe('cost from what the data holds', () => {
  it('every relation that reads one table is estimated from that table\'s statistics', async () => {
    const stats = await readTableStats((statement) => run(db.orm.em.fork(), statement));
    expect(stats.rows.get('users')).toBeGreaterThan(60);
    const classStudents = relations.find((r) => r.owner === 'Class' && r.name === 'students')!;
    expect(ownerColumn(classStudents)).toEqual({ table: 'enrollments', column: 'class_sourced_id' });
    const perClass = stats.perValue.get('enrollments.class_sourced_id')!;
    expect(perClass).toBeGreaterThan(5);
    expect(perClass).toBeLessThan(30);
  });

  it('the bench:graph dashboard runs under the default settings', async () => {
    const res = (await post(DASHBOARD, { school: 'school-001' })).json();
    expect(res.errors).toBeUndefined();
    expect(res.data.school.classes.nodes.length).toBeGreaterThan(0);
    expect(res.data.school.classes.nodes[0].students.nodes.length).toBeGreaterThan(0);
  });

  it('a document that would read far more is refused before execution, QUERY_TOO_COMPLEX', async () => {
    // Three aliases on each of three nested levels: 27 copies of the innermost classes of every user.
    const three = (inner: string) => Array.from({ length: 3 }, (_, i) => `a${i}: ${inner}`).join(' ');
    const query = `{ users(first: 10000) { nodes { ${three(`classes(first: 1000) { nodes { ${three(`users(first: 1000) { nodes { ${three('classes(first: 1000) { nodes { sourcedId title } }')} } }`)} } }`)} } } }`;
    const res = await post(query);
    expect(res.json().errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(res.json().errors[0].message).toMatch(/complexity \d+ exceeds the limit of 250000/);
    expect(res.json().data).toBeFalsy();
  });
});
