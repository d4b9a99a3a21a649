import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/auth/scopes.js';
import { closeEnv, gradebookEnv, type GradebookEnv } from './support.js';

const CASE_ID = '6b9f7e8a-2c1d-4e5f-9a0b-1c2d3e4f5a6b';

const PUT_LINE_ITEM = `mutation($id: ID!, $input: LineItemInput!) { putLineItem(sourcedId: $id, input: $input) {
  created lineItem { sourcedId status title dateLastModified school { sourcedId } scoreScale { sourcedId } learningObjectiveSet { source learningObjectiveIds } } } }`;
const PUT_RESULT = `mutation($id: ID!, $input: ResultInput!) { putResult(sourcedId: $id, input: $input) { created } }`;
const READ_RESULT = `query($id: ID!) { result(sourcedId: $id) { sourcedId status dateLastModified score scoreStatusToken late comment
  scoreScale { sourcedId } learningObjectiveSet { source learningObjectiveResults { learningObjectiveId score textScore } } } }`;

let env: GradebookEnv;
beforeAll(async () => { env = await gradebookEnv(); }, 60_000);
afterAll(async () => closeEnv(env));

const lineItemInput = (over: Record<string, unknown> = {}) => ({
  title: 'Essay', assignDate: '2025-09-01T08:00:00Z', dueDate: '2025-09-08T08:00:00Z',
  class: { sourcedId: env.ids.classId }, category: { sourcedId: env.ids.category }, ...over,
});
const resultInput = (over: Record<string, unknown> = {}) => ({
  lineItem: { sourcedId: env.ids.lineItem }, student: { sourcedId: env.ids.students[0] },
  scoreStatus: 'fully graded', score: 88, scoreDate: '2025-09-10', ...over,
});
const codeOf = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => body.errors?.[0]?.extensions;

describe('put mutations', () => {
  it('creates a line item, defaults its school to the class\'s, and stores scale and objectives as rows', async () => {
    const before = Date.now();
    const { body } = await env.gql(PUT_LINE_ITEM, { id: 'gql-li-1', input: lineItemInput({
      scoreScale: { sourcedId: env.ids.scale }, learningObjectiveSet: [{ source: 'case', learningObjectiveIds: [CASE_ID] }, { source: 'district', learningObjectiveIds: ['ELA.1', 'ELA.2'] }],
    }) });
    expect(body.errors).toBeUndefined();
    const out = body.data.putLineItem;
    expect(out.created).toBe(true);
    expect(out.lineItem).toMatchObject({ sourcedId: 'gql-li-1', status: 'active', school: { sourcedId: env.ids.school }, scoreScale: { sourcedId: env.ids.scale } });
    expect(Date.parse(out.lineItem.dateLastModified)).toBeGreaterThanOrEqual(before - 1000);
    expect(out.lineItem.learningObjectiveSet).toEqual([
      { source: 'case', learningObjectiveIds: [CASE_ID] }, { source: 'district', learningObjectiveIds: ['ELA.1', 'ELA.2'] },
    ]);
  });

  it('replaces a line item: created false, side rows replaced, dateLastModified moves forward', async () => {
    const first = await env.sql(`select date_last_modified from line_items where sourced_id = 'gql-li-1'`);
    await new Promise((r) => setTimeout(r, 5));
    const { body } = await env.gql(PUT_LINE_ITEM, { id: 'gql-li-1', input: lineItemInput({ title: 'Essay (revised)', learningObjectiveSet: [{ source: 'unknown', learningObjectiveIds: ['x'] }] }) });
    expect(body.errors).toBeUndefined();
    expect(body.data.putLineItem.created).toBe(false);
    expect(body.data.putLineItem.lineItem).toMatchObject({ title: 'Essay (revised)', scoreScale: null, learningObjectiveSet: [{ source: 'unknown', learningObjectiveIds: ['x'] }] });
    expect(await env.sql(`select count(*)::int as n from line_item_learning_objectives where line_item_sourced_id = 'gql-li-1'`)).toEqual([{ n: 1 }]);
    expect(await env.sql(`select count(*)::int as n from line_item_score_scales where line_item_sourced_id = 'gql-li-1'`)).toEqual([{ n: 0 }]);
    const second = await env.sql(`select date_last_modified from line_items where sourced_id = 'gql-li-1'`);
    expect(new Date(second[0].date_last_modified as string).getTime()).toBeGreaterThan(new Date(first[0].date_last_modified as string).getTime());
  });

  it('writes a result with its score scale, objective scores and flags, and replaces them', async () => {
    const input = resultInput({ scoreStatus: 'ext:regraded', late: true, comment: 'ok', scoreScale: { sourcedId: env.ids.scale },
      learningObjectiveSet: [{ source: 'case', learningObjectiveResults: [{ learningObjectiveId: CASE_ID, score: 3, textScore: 'proficient' }] }] });
    expect((await env.gql(PUT_RESULT, { id: 'gql-res-1', input })).body.data.putResult.created).toBe(true);
    const read = (await env.gql(READ_RESULT, { id: 'gql-res-1' })).body.data.result;
    expect(read).toMatchObject({ score: 88, scoreStatusToken: 'ext:regraded', late: true, comment: 'ok', scoreScale: { sourcedId: env.ids.scale },
      learningObjectiveSet: [{ source: 'case', learningObjectiveResults: [{ learningObjectiveId: CASE_ID, score: 3, textScore: 'proficient' }] }] });
    expect((await env.gql(PUT_RESULT, { id: 'gql-res-1', input: resultInput({ score: 91 }) })).body.data.putResult.created).toBe(false);
    const replaced = (await env.gql(READ_RESULT, { id: 'gql-res-1' })).body.data.result;
    expect(replaced).toMatchObject({ score: 91, scoreStatusToken: 'fully graded', late: null, comment: null, scoreScale: null, learningObjectiveSet: [] });
  });

  it('writes categories, score scales, assessment line items and assessment results', async () => {
    const { body } = await env.gql(`mutation($c: CategoryInput!, $s: ScoreScaleInput!, $a: AssessmentLineItemInput!, $r: AssessmentResultInput!) {
      putCategory(sourcedId: "gql-cat", input: $c) { created category { title weight } }
      putScoreScale(sourcedId: "gql-scale", input: $s) { created scoreScale { type class { sourcedId } course { sourcedId } scoreScaleValue { itemValueLHS itemValueRHS } } }
      putAssessmentLineItem(sourcedId: "gql-ali", input: $a) { created assessmentLineItem { title scoreScale { sourcedId } learningObjectiveSet { source learningObjectiveIds } } }
      putAssessmentResult(sourcedId: "gql-ares", input: $r) { created assessmentResult { score scorePercentile scoreStatusToken missing assessmentLineItem { sourcedId } } } }`, {
      c: { title: 'Projects', weight: 0.25 },
      s: { title: 'Pass/fail', type: 'passfail', class: { sourcedId: env.ids.classId }, course: { sourcedId: env.ids.course }, scoreScaleValue: [{ itemValueLHS: '50 - 100', itemValueRHS: 'P' }] },
      a: { title: 'Benchmark', scoreScale: { sourcedId: 'gql-scale' }, learningObjectiveSet: [{ source: 'case', learningObjectiveIds: [CASE_ID] }] },
      r: { assessmentLineItem: { sourcedId: 'gql-ali' }, student: { sourcedId: env.ids.students[1] }, score: 71, scorePercentile: 55, scoreStatus: 'submitted', scoreDate: '2025-10-01', missing: false },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.putCategory).toEqual({ created: true, category: { title: 'Projects', weight: 0.25 } });
    expect(body.data.putScoreScale.scoreScale).toEqual({ type: 'passfail', class: { sourcedId: env.ids.classId }, course: { sourcedId: env.ids.course }, scoreScaleValue: [{ itemValueLHS: '50 - 100', itemValueRHS: 'P' }] });
    expect(body.data.putAssessmentLineItem.assessmentLineItem).toEqual({ title: 'Benchmark', scoreScale: { sourcedId: 'gql-scale' }, learningObjectiveSet: [{ source: 'case', learningObjectiveIds: [CASE_ID] }] });
    expect(body.data.putAssessmentResult.assessmentResult).toEqual({ score: 71, scorePercentile: 55, scoreStatusToken: 'submitted', missing: false, assessmentLineItem: { sourcedId: 'gql-ali' } });
  });
});

describe('validation', () => {
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['unknown category', 'LineItem', { category: { sourcedId: 'no-such-cat' } }, 'input.category'],
    ['unknown grading period', 'LineItem', { gradingPeriod: { sourcedId: 'gp-none' } }, 'input.gradingPeriod'],
    ['unknown score scale (link row)', 'LineItem', { scoreScale: { sourcedId: 'scale-none' } }, 'input.scoreScale'],
    ['missing class', 'LineItem', { class: null }, 'input.class'],
    ['bad objective source', 'LineItem', { learningObjectiveSet: [{ source: 'CASE!', learningObjectiveIds: ['a'] }] }, 'input.learningObjectiveSet[0].source'],
    ['CASE id that is not a UUID', 'LineItem', { learningObjectiveSet: [{ source: 'case', learningObjectiveIds: ['nope'] }] }, 'input.learningObjectiveSet[0]'],
    ['sourcedId differing from the argument', 'LineItem', { sourcedId: 'other' }, 'input.sourcedId'],
    ['unknown student', 'Result', { student: { sourcedId: 'nobody' } }, 'input.student'],
    ['class not the line item\'s', 'Result', { class: { sourcedId: 'OTHER' } }, 'input.class'],
    ['score status outside the vocabulary', 'Result', { scoreStatus: 'graded' }, 'input.scoreStatus'],
    ['missing line item', 'Result', { lineItem: null }, 'input.lineItem'],
    ['unknown class of a score scale', 'ScoreScale', { class: { sourcedId: 'no-class' } }, 'input.class'],
    ['unknown course of a score scale', 'ScoreScale', { course: { sourcedId: 'no-course' } }, 'input.course'],
    ['score scale without mappings', 'ScoreScale', { scoreScaleValue: [] }, 'input.scoreScaleValue'],
    ['unknown parent assessment', 'AssessmentLineItem', { parentAssessmentLineItem: { sourcedId: 'no-ali' } }, 'input.parentAssessmentLineItem'],
    ['assessment as its own parent', 'AssessmentLineItem', { parentAssessmentLineItem: { sourcedId: 'SELF' } }, 'input.parentAssessmentLineItem'],
    ['unknown score scale of an assessment', 'AssessmentLineItem', { scoreScale: { sourcedId: 'no-scale' } }, 'input.scoreScale'],
    ['unknown assessment line item', 'AssessmentResult', { assessmentLineItem: { sourcedId: 'no-ali' } }, 'input.assessmentLineItem'],
    ['assessment score status outside the vocabulary', 'AssessmentResult', { scoreStatus: 'ext:' }, 'input.scoreStatus'],
    ['bad objective source of an assessment result', 'AssessmentResult', { learningObjectiveSet: [{ source: 'case', learningObjectiveResults: [{ learningObjectiveId: 'x' }] }] }, 'input.learningObjectiveSet[0]'],
  ];
  const inputs: Record<string, (over: Record<string, unknown>) => Record<string, unknown>> = {
    LineItem: (over) => lineItemInput(over),
    Result: (over) => resultInput(over),
    ScoreScale: (over) => ({ title: 'S', type: 't', class: { sourcedId: env.ids.classId }, scoreScaleValue: [{ itemValueLHS: '1', itemValueRHS: 'A' }], ...over }),
    AssessmentLineItem: (over) => ({ title: 'A', ...over }),
    AssessmentResult: (over) => ({ assessmentLineItem: { sourcedId: 'gql-ali' }, student: { sourcedId: env.ids.students[0] }, scoreStatus: 'submitted', scoreDate: '2025-10-02', ...over }),
  };
  const tables: Record<string, string> = { LineItem: 'line_items', Result: 'results', ScoreScale: 'score_scales', AssessmentLineItem: 'assessment_line_items', AssessmentResult: 'assessment_results' };
  it.each(cases)('%s → VALIDATION_FAILED naming the field, nothing written', async (_name, type, over, field) => {
    // Brackets of the field path are not sourcedId characters (shared/sourced-id.ts).
    const id = `bad-${type}-${field}`.replace(/[[\]]/g, '_');
    const patch = JSON.parse(JSON.stringify(over).replaceAll('"OTHER"', JSON.stringify(env.ids.otherClass)).replaceAll('"SELF"', JSON.stringify(id)));
    const input = inputs[type]!(patch);
    const { body } = await env.gql(`mutation($id: ID!, $input: ${type}Input!) { put${type}(sourcedId: $id, input: $input) { created } }`, { id, input });
    expect(codeOf(body)).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(await env.sql(`select sourced_id from ${tables[type]} where sourced_id = ?`, [id])).toEqual([]);
  });

  it('refuses a reference to a tombstone', async () => {
    await env.gql(`mutation { putCategory(sourcedId: "gql-cat-gone", input: { title: "Old" }) { created } }`);
    await env.gql(`mutation { deleteCategory(sourcedId: "gql-cat-gone") { deleted } }`);
    const { body } = await env.gql(PUT_LINE_ITEM, { id: 'gql-li-gone', input: lineItemInput({ category: { sourcedId: 'gql-cat-gone' } }) });
    expect(codeOf(body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.category' });
  });

  it('needs the write scope of the mutation', async () => {
    const { body } = await env.gql(PUT_RESULT, { id: 'gql-res-scope', input: resultInput() }, [SCOPES['gradebook.readonly'], SCOPES['gradebook.createpost']]);
    expect(codeOf(body)?.code).toBe('FORBIDDEN');
    const del = await env.gql(`mutation { deleteAssessmentResult(sourcedId: "gql-ares") { deleted } }`, {}, [SCOPES['gradebook.delete']]);
    expect(codeOf(del.body)?.code).toBe('FORBIDDEN');
    expect(await env.sql(`select status from assessment_results where sourced_id = 'gql-ares'`)).toEqual([{ status: 'active' }]);
  });
});

describe('delete mutations', () => {
  it('leaves a tombstone that a delta query finds, cascading from a line item to its results', async () => {
    await env.gql(PUT_LINE_ITEM, { id: 'gql-li-del', input: lineItemInput() });
    await env.gql(PUT_RESULT, { id: 'gql-res-del', input: resultInput({ lineItem: { sourcedId: 'gql-li-del' } }) });
    const since = new Date(Date.now() - 1).toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const { body } = await env.gql(`mutation { deleteLineItem(sourcedId: "gql-li-del") { sourcedId deleted dateLastModified } }`);
    expect(body.data.deleteLineItem).toMatchObject({ sourcedId: 'gql-li-del', deleted: true });
    const delta = await env.gql(`query($since: DateTime!) {
      lineItems(filter: { dateLastModified: { gt: $since } }) { nodes { sourcedId status } }
      results(filter: { dateLastModified: { gt: $since } }) { nodes { sourcedId status } } }`, { since });
    expect(delta.body.data.lineItems.nodes).toEqual([{ sourcedId: 'gql-li-del', status: 'tobedeleted' }]);
    expect(delta.body.data.results.nodes).toEqual([{ sourcedId: 'gql-res-del', status: 'tobedeleted' }]);
    // The tombstone is still readable by id (status tells the consumer it is gone).
    const byId = await env.gql(`{ lineItem(sourcedId: "gql-li-del") { status dateLastModified } }`);
    expect(byId.body.data.lineItem).toEqual({ status: 'tobedeleted', dateLastModified: body.data.deleteLineItem.dateLastModified });
  });

  it('deleting a tombstone again changes nothing; an unknown id is NOT_FOUND', async () => {
    const again = await env.gql(`mutation { deleteLineItem(sourcedId: "gql-li-del") { deleted dateLastModified } }`);
    const stored = await env.gql(`{ lineItem(sourcedId: "gql-li-del") { dateLastModified } }`);
    expect(again.body.data.deleteLineItem).toEqual({ deleted: false, dateLastModified: stored.body.data.lineItem.dateLastModified });
    const missing = await env.gql(`mutation { deleteResult(sourcedId: "no-such-result") { deleted } }`);
    expect(codeOf(missing.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a put revives a tombstone', async () => {
    const { body } = await env.gql(PUT_LINE_ITEM, { id: 'gql-li-del', input: lineItemInput() });
    expect(body.data.putLineItem).toMatchObject({ created: false, lineItem: { status: 'active' } });
  });
});

describe('post mutations', () => {
  const POST_LI = `mutation($cls: ID!, $items: [LineItemInput!]!) { postLineItemsForClass(classSourcedId: $cls, lineItems: $items) { sourcedIdPairs { suppliedSourcedId allocatedSourcedId } } }`;

  it('creates line items for a class under allocated UUIDs', async () => {
    const items = [1, 2].map((n) => ({ ...lineItemInput({ title: `Quiz ${n}` }), sourcedId: `tmp-${n}`, class: undefined }));
    const { body } = await env.gql(POST_LI, { cls: env.ids.classId, items });
    expect(body.errors).toBeUndefined();
    const pairs = body.data.postLineItemsForClass.sourcedIdPairs as Array<{ suppliedSourcedId: string; allocatedSourcedId: string }>;
    expect(pairs.map((p) => p.suppliedSourcedId)).toEqual(['tmp-1', 'tmp-2']);
    for (const p of pairs) expect(p.allocatedSourcedId).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await env.sql(`select title, class_sourced_id, school_sourced_id from line_items where sourced_id = any(?) order by title`, [pairs.map((p) => p.allocatedSourcedId)]);
    expect(rows).toEqual([1, 2].map((n) => ({ title: `Quiz ${n}`, class_sourced_id: env.ids.classId, school_sourced_id: env.ids.school })));
  });

  it('creates none when one record is bad', async () => {
    const items = [{ ...lineItemInput({ title: 'Fine' }), sourcedId: 'tmp-a' }, { ...lineItemInput({ title: 'Broken', category: { sourcedId: 'nope' } }), sourcedId: 'tmp-b' }];
    const { body } = await env.gql(POST_LI, { cls: env.ids.classId, items });
    expect(codeOf(body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'lineItems[1].category' });
    expect(await env.sql(`select sourced_id from line_items where title in ('Fine', 'Broken')`)).toEqual([]);
  });

  it('reports an unknown parent as NOT_FOUND and a record of another parent as VALIDATION_FAILED', async () => {
    const missing = await env.gql(POST_LI, { cls: 'no-class', items: [{ ...lineItemInput(), sourcedId: 't' }] });
    expect(codeOf(missing.body)).toMatchObject({ code: 'NOT_FOUND' });
    const other = await env.gql(POST_LI, { cls: env.ids.classId, items: [{ ...lineItemInput({ class: { sourcedId: env.ids.otherClass } }), sourcedId: 't' }] });
    expect(codeOf(other.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'lineItems[0].class' });
    const dup = await env.gql(POST_LI, { cls: env.ids.classId, items: [{ ...lineItemInput(), sourcedId: 't' }, { ...lineItemInput(), sourcedId: 't' }] });
    expect(codeOf(dup.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'lineItems[1].sourcedId' });
    const school = await env.gql(`mutation($s: ID!, $items: [LineItemInput!]!) { postLineItemsForSchool(schoolSourcedId: $s, lineItems: $items) { sourcedIdPairs { suppliedSourcedId } } }`,
      { s: env.ids.district, items: [{ ...lineItemInput(), sourcedId: 't' }] });
    expect(codeOf(school.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('creates results for a line item, and for a class in an academic session', async () => {
    const results = env.ids.students.slice(0, 3).map((s, i) => ({ ...resultInput({ student: { sourcedId: s }, score: 70 + i }), lineItem: undefined, sourcedId: `r-${i}` }));
    const forLi = await env.gql(`mutation($li: ID!, $rs: [ResultInput!]!) { postResultsForLineItem(lineItemSourcedId: $li, results: $rs) { sourcedIdPairs { suppliedSourcedId allocatedSourcedId } } }`,
      { li: env.ids.lineItem, rs: results });
    expect(forLi.body.errors).toBeUndefined();
    expect(forLi.body.data.postResultsForLineItem.sourcedIdPairs).toHaveLength(3);

    const POST_SESSION = `mutation($c: ID!, $s: ID!, $rs: [ResultInput!]!) { postResultsForAcademicSessionForClass(classSourcedId: $c, academicSessionSourcedId: $s, results: $rs) { sourcedIdPairs { allocatedSourcedId } } }`;
    const withLi = results.map((r) => ({ ...r, lineItem: { sourcedId: env.ids.lineItem } }));
    for (const session of [env.ids.term, env.ids.gradingPeriod]) {
      const ok = await env.gql(POST_SESSION, { c: env.ids.classId, s: session, rs: withLi });
      expect(ok.body.errors).toBeUndefined();
      const [id] = ok.body.data.postResultsForAcademicSessionForClass.sourcedIdPairs.map((p: { allocatedSourcedId: string }) => p.allocatedSourcedId);
      expect(await env.sql(`select class_sourced_id from results where sourced_id = ?`, [id])).toEqual([{ class_sourced_id: env.ids.classId }]);
    }
    const wrongTerm = await env.gql(POST_SESSION, { c: env.ids.classId, s: env.ids.otherTerm, rs: withLi });
    expect(codeOf(wrongTerm.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'results[0].lineItem' });
    const otherClass = await env.gql(POST_SESSION, { c: env.ids.classId, s: env.ids.term, rs: [{ ...withLi[0], lineItem: { sourcedId: env.ids.otherLineItem } }] });
    expect(codeOf(otherClass.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'results[0].lineItem' });
    const unknownSession = await env.gql(POST_SESSION, { c: env.ids.classId, s: 'no-session', rs: withLi });
    expect(codeOf(unknownSession.body)).toMatchObject({ code: 'NOT_FOUND' });
  });
});
