import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeEnv, gradebookEnv, type GradebookEnv } from './support.js';

/**
 * One GraphQL document may write and read again: each mutation's payload must see every earlier
 * write of the same document, whether it reads the record itself, a reference to it in another
 * property set, or a relation page it entered, left or changed (src/graph/loaders.ts).
 */
let env: GradebookEnv;
beforeAll(async () => {
  env = await gradebookEnv();
  const { body } = await env.gql(`mutation($c: CategoryInput!, $l: LineItemInput!, $a: AssessmentLineItemInput!) {
    putCategory(sourcedId: "inv-cat", input: $c) { created }
    putLineItem(sourcedId: "inv-li", input: $l) { created }
    putAssessmentLineItem(sourcedId: "inv-ali", input: $a) { created } }`, {
    c: { title: 'Invalidation' },
    l: { title: 'Quiz', assignDate: '2025-09-01T08:00:00Z', dueDate: '2025-09-08T08:00:00Z', class: { sourcedId: env.ids.classId }, category: { sourcedId: 'inv-cat' } },
    a: { title: 'Benchmark' },
  });
  expect(body.errors).toBeUndefined();
}, 60_000);
afterAll(async () => closeEnv(env));

const result = (score: number, lineItem = 'inv-li') => ({
  lineItem: { sourcedId: lineItem }, student: { sourcedId: env.ids.students[0] }, scoreStatus: 'fully graded', score, scoreDate: '2025-09-10',
});
const assessmentResult = () => ({ assessmentLineItem: { sourcedId: 'inv-ali' }, student: { sourcedId: env.ids.students[0] }, scoreStatus: 'submitted', score: 1, scoreDate: '2025-10-01' });

async function mutate(query: string, variables: Record<string, unknown>) {
  const { body } = await env.gql(query, variables);
  expect(body.errors).toBeUndefined();
  return body.data;
}

const pageOf = (nodes: any[], id: string): any => nodes.find((n) => n.sourcedId === id);

describe('a write followed by a read in the same document', () => {
  it('two puts of one result: the second payload shows the second score', async () => {
    const data = await mutate(`mutation($a: ResultInput!, $b: ResultInput!) {
      a: putResult(sourcedId: "inv-res-twice", input: $a) { created result { score } }
      b: putResult(sourcedId: "inv-res-twice", input: $b) { created result { score } } }`, { a: result(10), b: result(99) });
    expect(data.a).toEqual({ created: true, result: { score: 10 } });
    expect(data.b).toEqual({ created: false, result: { score: 99 } });
  });

  it('a reference read in another property set shows the rewritten line item', async () => {
    const read = `putResult(sourcedId: "inv-res-ref", input: $r) { result { lineItem { title } } }`;
    const li = { title: 'Quiz', assignDate: '2025-09-01T08:00:00Z', dueDate: '2025-09-08T08:00:00Z', class: { sourcedId: env.ids.classId }, category: { sourcedId: 'inv-cat' } };
    const data = await mutate(`mutation($r: ResultInput!, $l: LineItemInput!) { a: ${read}
      putLineItem(sourcedId: "inv-li", input: $l) { created } b: ${read} }`, { r: result(5), l: { ...li, title: 'Quiz (renamed)' } });
    expect(data.a.result.lineItem.title).toBe('Quiz');
    expect(data.b.result.lineItem.title).toBe('Quiz (renamed)');
    await mutate(`mutation($l: LineItemInput!) { putLineItem(sourcedId: "inv-li", input: $l) { created } }`, { l: li });
  });

  it('a nested page read before a put shows the new and the changed result after it', async () => {
    const read = `{ result { lineItem { results(first: 100) { totalCount nodes { sourcedId score } } } } }`;
    const data = await mutate(`mutation($x: ResultInput!, $x2: ResultInput!, $y: ResultInput!) {
      a: putResult(sourcedId: "inv-res-x", input: $x) ${read}
      b: putResult(sourcedId: "inv-res-x", input: $x2) ${read}
      c: putResult(sourcedId: "inv-res-y", input: $y) ${read} }`, { x: result(10), x2: result(99), y: result(42) });
    const [a, b, c] = [data.a, data.b, data.c].map((d) => d.result.lineItem.results);
    expect(pageOf(a.nodes, 'inv-res-x')?.score).toBe(10);
    expect(pageOf(b.nodes, 'inv-res-x')?.score).toBe(99);
    expect(pageOf(b.nodes, 'inv-res-y')).toBeUndefined();
    expect(pageOf(c.nodes, 'inv-res-y')?.score).toBe(42);
    expect(c.totalCount).toBe(b.totalCount + 1);
  });

  it('a delete leaves a page read before it (a tombstone makes no relation)', async () => {
    await mutate(`mutation($r: ResultInput!) { putResult(sourcedId: "inv-res-del", input: $r) { created } }`, { r: result(7) });
    const read = `putCategory(sourcedId: "inv-cat", input: { title: "Invalidation" }) {
      category { lineItems { nodes { sourcedId results(first: 100) { nodes { sourcedId status } } } } } }`;
    const data = await mutate(`mutation { a: ${read} deleteResult(sourcedId: "inv-res-del") { deleted } b: ${read} }`, {});
    const statusIn = (d: any) => pageOf(pageOf(d.category.lineItems.nodes, 'inv-li').results.nodes, 'inv-res-del')?.status;
    expect(statusIn(data.a)).toBe('active');
    expect(statusIn(data.b)).toBeUndefined();
  });

  it('a post shows in a page read before it', async () => {
    const read = `putAssessmentResult(sourcedId: "inv-ares-post", input: $a) { assessmentResult { student { results(first: 1000) { totalCount } } } }`;
    const data = await mutate(`mutation($a: AssessmentResultInput!, $r: ResultInput!) { a: ${read}
      postResultsForLineItem(lineItemSourcedId: "inv-li", results: [$r]) { sourcedIdPairs { allocatedSourcedId } } b: ${read} }`,
    { a: assessmentResult(), r: { ...result(3), sourcedId: 'client-1' } });
    const total = (d: any) => d.assessmentResult.student.results.totalCount;
    expect(total(data.b)).toBe(total(data.a) + 1);
  });

  it('a line item delete takes its cascaded results out of a page read before it', async () => {
    await mutate(`mutation($r: ResultInput!, $l: LineItemInput!) { putLineItem(sourcedId: "inv-li-gone", input: $l) { created }
      putResult(sourcedId: "inv-res-cascade", input: $r) { created } }`, {
      l: { title: 'Dropped', assignDate: '2025-09-01T08:00:00Z', dueDate: '2025-09-08T08:00:00Z', class: { sourcedId: env.ids.classId }, category: { sourcedId: 'inv-cat' } },
      r: result(8, 'inv-li-gone'),
    });
    const read = `putAssessmentResult(sourcedId: "inv-ares-cascade", input: $a) {
      assessmentResult { student { results(first: 1000) { nodes { sourcedId status } } } } }`;
    const data = await mutate(`mutation($a: AssessmentResultInput!) { a: ${read} deleteLineItem(sourcedId: "inv-li-gone") { deleted } b: ${read} }`,
      { a: assessmentResult() });
    const statusIn = (d: any) => pageOf(d.assessmentResult.student.results.nodes, 'inv-res-cascade')?.status;
    expect(statusIn(data.a)).toBe('active');
    expect(statusIn(data.b)).toBeUndefined();
  });
});
