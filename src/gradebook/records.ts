import { isRef, isValidToken, type EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { Row } from '../db/sql.js';
import { validationFailed } from '../shared/errors.js';
import { partSourcedId } from '../shared/sourced-id.js';
import type { LearningObjectiveScoreSetInput, LearningObjectiveSetInput, RecordInput, RefInput } from './inputs.js';

export type WritableType = 'Category' | 'LineItem' | 'Result' | 'ScoreScale' | 'AssessmentLineItem' | 'AssessmentResult';
export type { Row };

/** A reference the write must find: `field` names it in the error when it is unknown or deleted. */
export interface RefCheck { field: string; target: EntityName; sourcedId: string }

/** A validated record: its row (property names), the references to check, and its side rows. */
export interface WriteRecord {
  type: WritableType;
  /** Path of the input in the mutation's arguments (`input`, `lineItems[3]`), for error fields. */
  prefix: string;
  row: Row;
  /** References taken from the mutation's context rather than the input. */
  defaulted: string[];
  refs: RefCheck[];
  /** LineItem/Result: the score scale, stored as a link row. */
  scoreScale?: string | null;
  /** LineItem/Result: learning objectives, stored one row per objective. */
  objectives?: Row[];
}

const LO_SOURCE = /^(case|unknown|[a-z0-9]+)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Line items and results keep these as rows of other tables rather than columns. */
const ROW_STORED = new Set<WritableType>(['LineItem', 'Result']);

const sourcedIdOf = (v: unknown) => (v == null ? null : String((v as RefInput).sourcedId));

function checkSource(field: string, source: string, ids: string[]) {
  if (!LO_SOURCE.test(source)) throw validationFailed(`${field}.source`, `'${source}' must be case, unknown or a lower-case alphanumeric token`);
  if (!ids.length) throw validationFailed(field, 'needs at least one learning objective');
  if (source === 'case') {
    const bad = ids.find((id) => !UUID.test(id));
    if (bad !== undefined) throw validationFailed(field, `CASE learning objective id '${bad}' is not a UUID`);
  }
}

/** Learning-objective sets of a line item (ids only) or a result (with scores), validated. */
function checkObjectiveSets(field: string, sets: unknown[] | null | undefined, scored: boolean) {
  (sets ?? []).forEach((set, i) => {
    const at = `${field}[${i}]`;
    if (scored) {
      const s = set as LearningObjectiveScoreSetInput;
      checkSource(at, s.source, s.learningObjectiveResults.map((r) => r.learningObjectiveId));
    } else {
      const s = set as LearningObjectiveSetInput;
      checkSource(at, s.source, s.learningObjectiveIds);
    }
  });
}

/** Objective rows of a line item or result; sourcedIds derive from the owner's, so a replace rewrites the same ids. */
function objectiveRows(type: WritableType, ownerId: string, sets: unknown[], now: string): Row[] {
  const owner = type === 'LineItem' ? 'lineItem' : 'result';
  const rows: Row[] = [];
  for (const set of sets) {
    const s = set as LearningObjectiveSetInput & LearningObjectiveScoreSetInput;
    const items = type === 'LineItem'
      ? s.learningObjectiveIds.map((id) => ({ learningObjectiveId: id }))
      : s.learningObjectiveResults.map((r) => ({ learningObjectiveId: r.learningObjectiveId, score: r.score ?? null, textScore: r.textScore ?? null }));
    for (const item of items) {
      rows.push({ sourcedId: partSourcedId(ownerId, 'learningObjectiveSet', rows.length), status: 'active', dateLastModified: now, [owner]: ownerId, source: s.source, ...item });
    }
  }
  return rows;
}

const asDate = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : v);

/**
 * Turns a mutation input into the row to store. `defaults` supplies references the mutation's
 * context determines (the class of postLineItemsForClass); `prefix` is the input's path in the
 * arguments (`input`, `lineItems[3]`) so that errors name the field as the caller sent it.
 */
export function toRecord(type: WritableType, sourcedId: string, input: RecordInput, prefix: string, now: string,
  defaults: Record<string, string> = {}): WriteRecord {
  const def = entityDef(type);
  const row: Row = { sourcedId, status: input.status ?? 'active', dateLastModified: now, metadata: input.metadata ?? null };
  const refs: RefCheck[] = [];
  const defaulted: string[] = [];
  for (const [name, f] of Object.entries(def.fields)) {
    const field = `${prefix}.${name}`;
    let value: unknown = isRef(f) ? sourcedIdOf(input[name]) : input[name] ?? null;
    if (value == null && defaults[name] !== undefined) {
      value = defaults[name];
      defaulted.push(name);
    }
    // The school of a line item may follow from its class; that is decided once the class is read.
    const derived = type === 'LineItem' && name === 'school';
    if (f.required && value == null && !derived) throw validationFailed(field, 'is required');
    if (f.kind === 'enum' && value != null && !isValidToken(f.vocab!, String(value))) {
      throw validationFailed(field, `'${String(value)}' is not a ${f.vocab!.name} token (${f.vocab!.values.join(', ')}${f.vocab!.ext ? ', or ext:…' : ''})`);
    }
    if (f.kind === 'date') value = asDate(value);
    if (isRef(f) && value != null) refs.push({ field, target: f.target, sourcedId: String(value) });
    row[name] = value;
  }
  if (type === 'ScoreScale' && !(row.scoreScaleValue as unknown[]).length) {
    throw validationFailed(`${prefix}.scoreScaleValue`, 'needs at least one mapping');
  }
  if (type === 'AssessmentLineItem' && row.parentAssessmentLineItem === sourcedId) {
    throw validationFailed(`${prefix}.parentAssessmentLineItem`, 'an assessment line item cannot be its own parent');
  }
  const sets = (input.learningObjectiveSet as unknown[] | null | undefined) ?? [];
  const scored = type === 'Result' || type === 'AssessmentResult';
  if (type !== 'Category' && type !== 'ScoreScale') checkObjectiveSets(`${prefix}.learningObjectiveSet`, sets, scored);
  if (!ROW_STORED.has(type)) return { type, prefix, row, defaulted, refs };

  const scoreScale = sourcedIdOf(input.scoreScale);
  if (scoreScale) refs.push({ field: `${prefix}.scoreScale`, target: 'ScoreScale', sourcedId: scoreScale });
  return { type, prefix, row, defaulted, refs, scoreScale, objectives: objectiveRows(type, sourcedId, sets, now) };
}
