import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEnv, gradebookEnv, ref, type GradebookEnv } from '../gradebook/support.js';

const BASE = '/ims/oneroster/gradebook/v1p2';
const N = 50;

let env: GradebookEnv;
let token: string;
beforeAll(async () => { env = await gradebookEnv(); token = await env.auth(); }, 60_000);
afterAll(async () => closeEnv(env));

/** Request i: its own score, comment, flag and learning-objective scores, so a stored mix of two requests is detectable. */
const body = (id: string, i: number, student: string) => ({ result: {
  sourcedId: id, status: 'active', dateLastModified: '2025-01-01T00:00:00.000Z',
  lineItem: ref('lineItem', env.ids.lineItem), student: ref('user', student), scoreStatus: 'fully graded',
  score: i, comment: `request ${i}`, scoreDate: '2025-09-10', late: i % 2 ? 'true' : 'false',
  learningObjectiveSet: [{ source: 'district', learningObjectiveResults: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ learningObjectiveId: `LO-${k}`, score: i })) }],
} });

const put = (id: string, payload: unknown) => env.app.inject({ method: 'PUT', url: `${BASE}/results/${id}`, headers: { authorization: token }, payload: payload as object });

/** What is stored for a result, in the shape of request i, or undefined. */
async function stored(id: string) {
  const [row] = await env.sql(`select score, comment, late from results where sourced_id = ?`, [id]);
  const objectives = await env.sql(`select learning_objective_id, score from result_learning_objectives where result_sourced_id = ? order by learning_objective_id`, [id]);
  return row && { score: row.score, comment: row.comment, late: row.late, objectives };
}
const expected = (i: number) => ({
  score: i, comment: `request ${i}`, late: i % 2 === 1,
  objectives: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ learning_objective_id: `LO-${k}`, score: i })),
});

describe('concurrent PUTs', () => {
  // Stronger than "succeed or fail cleanly": the upsert's row lock comes before the side rows are
  // replaced, so the writers queue on the record and none fails (replacing the side rows first lets
  // most of them die on a duplicate objective row).
  it(`${N} PUTs to one (new) result all succeed, and the stored state is exactly one request's`, async () => {
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => put('conc-one', body('conc-one', i, env.ids.students[0]!))));
    expect(responses.map((r) => [r.statusCode, r.body])).toEqual(responses.map(() => [201, '']));
    const state = await stored('conc-one');
    const match = responses.map((_, i) => i).filter((i) => JSON.stringify(expected(i)) === JSON.stringify(state));
    expect(match).toHaveLength(1);
    // The last committed request owns the record; its objective rows are not mixed with another's.
    expect(await env.sql(`select count(*)::int as n from result_learning_objectives where result_sourced_id = 'conc-one'`)).toEqual([{ n: 1 + (match[0]! % 3) }]);
  }, 120_000);

  it(`${N} PUTs to different results all succeed, each storing its own request`, async () => {
    const ids = Array.from({ length: N }, (_, i) => `conc-many-${i}`);
    const responses = await Promise.all(ids.map((id, i) => put(id, body(id, i, env.ids.students[i % env.ids.students.length]!))));
    expect(responses.map((r) => r.statusCode)).toEqual(ids.map(() => 201));
    for (const [i, id] of ids.entries()) expect(await stored(id)).toEqual(expected(i));
  }, 120_000);

  it(`${N} concurrent putResult mutations on a new sourcedId report created exactly once`, async () => {
    const input = (i: number) => ({ lineItem: { sourcedId: env.ids.lineItem }, student: { sourcedId: env.ids.students[1] }, scoreStatus: 'submitted', score: i, scoreDate: '2025-09-11' });
    const outcomes = await Promise.all(Array.from({ length: N }, (_, i) =>
      env.gql(`mutation($input: ResultInput!) { putResult(sourcedId: "conc-created", input: $input) { created } }`, { input: input(i) })));
    expect(outcomes.every((o) => !o.body.errors)).toBe(true);
    expect(outcomes.filter((o) => o.body.data.putResult.created)).toHaveLength(1);
  }, 120_000);
});
