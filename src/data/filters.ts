import { isRef, type EntityDef, type EntityName, type FieldDef } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import { columnExpr } from './columns.js';
import { live, relationsOf } from '../model/relations.js';
import { SqlParams } from './sql-params.js';

/** The comparisons every filterable field takes (GraphQL `*Comparison` inputs). */
export interface Comparison {
  eq?: unknown; ne?: unknown; gt?: unknown; gte?: unknown; lt?: unknown; lte?: unknown;
  contains?: string; in?: unknown[]; isNull?: boolean;
}

/** A GraphQL `*Filter` input: field comparisons, reference filters and relation filters, with AND/OR/NOT. */
export type FilterInput = { AND?: FilterInput[]; OR?: FilterInput[]; NOT?: FilterInput } & Record<string, unknown>;

const castOf = (f: FieldDef | undefined): string => {
  if (!f) return '';
  switch (f.kind) {
    case 'date': return '::date';
    case 'datetime': return '::timestamptz';
    case 'float': return '::double precision';
    case 'int': return '::integer';
    case 'boolean': return '::boolean';
    default: return '';
  }
};

const OPS: Record<string, string> = { eq: '=', ne: 'is distinct from', gt: '>', gte: '>=', lt: '<', lte: '<=' };
/** `element op value` written as `value mirrored-op any(list)`. */
const MIRRORED: Record<string, string> = { eq: '=', gt: '<', gte: '<=', lt: '>', lte: '>=' };

function compareScalar(expr: string, f: FieldDef | undefined, c: Comparison, p: SqlParams): string[] {
  const out: string[] = [];
  const cast = castOf(f);
  const list = f?.kind === 'strings';
  for (const [op, value] of Object.entries(c)) {
    if (value === undefined || value === null) continue;
    if (op === 'isNull') {
      // A list field reads as [] when null, so an empty list counts as null too.
      const empty = list ? `coalesce(cardinality(${expr}), 0) = 0` : `${expr} is null`;
      out.push(value ? empty : `not (${empty})`);
    } else if (op === 'contains') {
      const needle = p.add(String(value));
      // Case-insensitive substring, on each element for list fields.
      out.push(list
        ? `exists (select 1 from unnest(${expr}) e where strpos(lower(e), lower(${needle})) > 0)`
        : `strpos(lower(${expr}::text), lower(${needle})) > 0`);
    } else if (op === 'in') {
      const values = p.add(JSON.stringify((value as unknown[]).map((v) => String(v))));
      out.push(list
        ? `${expr} && array(select jsonb_array_elements_text(${values}::jsonb))`
        : `${expr} in (select jsonb_array_elements_text(${values}::jsonb)${cast})`);
    } else if (list) {
      // A list field matches when any element does (grades='09'), as REST clients expect; `ne` when none
      // does, null lists included. The value stands left of ANY, so the operator is mirrored.
      const v = p.add(String(value));
      out.push(op === 'ne' ? `not coalesce(${v} = any(${expr}), false)` : `${v} ${MIRRORED[op]} any(${expr})`);
    } else {
      out.push(`${expr} ${OPS[op]} ${p.add(value)}${cast}`);
    }
  }
  return out;
}

/** Compiles a filter into a SQL condition over the row alias `alias` of entity `def`. */
export function compileFilter(name: EntityName, filter: FilterInput | undefined, p: SqlParams, alias = 't', depth = 0): string {
  if (!filter) return 'true';
  const def = entityDef(name);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue;
    if (key === 'AND') parts.push(...(value as FilterInput[]).map((f) => `(${compileFilter(name, f, p, alias, depth)})`));
    else if (key === 'OR') {
      const ors = (value as FilterInput[]).map((f) => `(${compileFilter(name, f, p, alias, depth)})`);
      parts.push(ors.length ? `(${ors.join(' or ')})` : 'false');
    } else if (key === 'NOT') parts.push(`not (${compileFilter(name, value as FilterInput, p, alias, depth)})`);
    else parts.push(...compileField(def, key, value, p, alias, depth));
  }
  return parts.length ? parts.join(' and ') : 'true';
}

function compileField(def: EntityDef, key: string, value: unknown, p: SqlParams, alias: string, depth: number): string[] {
  const f = def.fields[key];
  if (f && isRef(f)) return compareScalar(columnExpr(def, key, alias), undefined, (value as { sourcedId: Comparison }).sourcedId ?? {}, p);
  if (f || ['sourcedId', 'status', 'dateLastModified'].includes(key)) {
    const field = f ?? (key === 'dateLastModified' ? { kind: 'datetime' as const } : { kind: 'string' as const });
    return compareScalar(columnExpr(def, key, alias), field, value as Comparison, p);
  }
  const rel = relationsOf(def.name).find((r) => r.name === key && r.filterable);
  if (!rel) throw new Error(`${def.name} cannot be filtered on ${key}`);
  // "Some related row matches": an EXISTS over the relation's link, joined to the target. Tombstones
  // make no relation: the owner, the target and (in the link) every row it goes through must be live.
  const inner = `r${depth}`;
  const relWhere = rel.where ? ` and ${rel.where.replace(/\bt\./g, `${inner}.`)}` : '';
  const cond = `${compileFilter(rel.target, value as FilterInput, p, inner, depth + 1)}${relWhere} and ${live(inner)}`;
  const targetDef = entityDef(rel.target);
  if ('fk' in rel.source) {
    return [live(alias), `exists (select 1 from ${targetDef.table} ${inner} where ${inner}.${rel.source.fk} = ${alias}.sourced_id and ${cond})`];
  }
  return [live(alias), `exists (select 1 from (${rel.source.link}) l${depth} join ${targetDef.table} ${inner} on ${inner}.sourced_id = l${depth}.target
    where l${depth}.owner = ${alias}.sourced_id and ${cond})`];
}
