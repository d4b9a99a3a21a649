import type { ImplementableInputObjectRef, InputFieldRef, InputObjectRef } from '@pothos/core';
import type { EntityDef, EntityName, FieldDef } from '../model/dsl.js';
import { isRef } from '../model/dsl.js';
import { relationsOf } from '../model/relations.js';
import type { FilterInput } from '../data/filters.js';
import type { OrderSpec } from '../data/queries.js';
import { builder, type Types } from './builder.js';

const comparison = (name: string, type: 'String' | 'Date' | 'DateTime' | 'Float' | 'Int' | 'Boolean', ordered: boolean, description: string) =>
  builder.inputType(name, {
    description,
    fields: (t) => ({
      eq: t.field({ type, required: false }),
      ne: t.field({ type, required: false }),
      ...(ordered ? {
        gt: t.field({ type, required: false }),
        gte: t.field({ type, required: false }),
        lt: t.field({ type, required: false }),
        lte: t.field({ type, required: false }),
        in: t.field({ type: [type], required: false }),
      } : {}),
      ...(type === 'String' ? { contains: t.string({ required: false, description: 'Case-insensitive substring.' }) } : {}),
      isNull: t.boolean({ required: false }),
    }),
  });

const StringComparison = comparison('StringComparison', 'String', true, 'Compares a text field (or an enumeration by its OneRoster token).');
const StringListComparison = comparison('StringListComparison', 'String', true, 'Compares a list field: true when any element matches.');
const DateComparison = comparison('DateComparison', 'Date', true, 'Compares a date (YYYY-MM-DD).');
const DateTimeComparison = comparison('DateTimeComparison', 'DateTime', true, 'Compares a date-time.');
const FloatComparison = comparison('FloatComparison', 'Float', true, 'Compares a number.');
const BooleanComparison = comparison('BooleanComparison', 'Boolean', false, 'Compares a true/false field.');

export const RefFilter = builder.inputType('RefFilter', {
  description: 'Filters on the sourcedId of a referenced object.',
  fields: (t) => ({ sourcedId: t.field({ type: StringComparison, required: true }) }),
});

function comparisonFor(f: FieldDef) {
  switch (f.kind) {
    case 'date': return DateComparison;
    case 'datetime': return DateTimeComparison;
    case 'float': case 'int': return FloatComparison;
    case 'boolean': return BooleanComparison;
    case 'strings': return StringListComparison;
    case 'json': return undefined;
    case 'ref': return RefFilter;
    default: return StringComparison;
  }
}

export const SortDirection = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });

type FilterRef = ImplementableInputObjectRef<Types, FilterInput>;

/** A sort key as GraphQL receives it: `direction` has a default, so it is always present. */
export interface OrderInput { field: string; direction?: OrderSpec['direction'] | null }
export type OrderRef = InputObjectRef<Types, OrderInput>;
const filterRefs = new Map<string, FilterRef>();
export const filterRef = (typeName: string): FilterRef => {
  let ref = filterRefs.get(typeName);
  if (!ref) filterRefs.set(typeName, (ref = builder.inputRef<FilterInput>(`${typeName}Filter`)));
  return ref;
};

/** Scalar fields a collection can be filtered and ordered on. */
export function orderableFields(def: EntityDef): string[] {
  const scalars = Object.entries(def.fields).filter(([, f]) => !isRef(f) && f.kind !== 'json' && f.kind !== 'strings').map(([k]) => k);
  return def.base ? ['sourcedId', 'status', 'dateLastModified', ...scalars] : scalars;
}

/** `<Type>Filter`: per-field comparisons, reference and relation filters, combinable with AND/OR/NOT. */
export function defineFilter(def: EntityDef, typeName: string, typeNameOf: (name: EntityName) => string) {
  const ref = filterRef(typeName);
  ref.implement({
    description: `Selects ${typeName} records. Fields combine with AND; use OR and NOT for other logic.`,
    fields: (t) => {
      const fields: Record<string, InputFieldRef<Types, unknown>> = {
        AND: t.field({ type: [ref], required: false }),
        OR: t.field({ type: [ref], required: false }),
        NOT: t.field({ type: ref, required: false }),
      };
      if (def.base) {
        fields.sourcedId = t.field({ type: StringComparison, required: false });
        fields.status = t.field({ type: StringComparison, required: false });
        fields.dateLastModified = t.field({ type: DateTimeComparison, required: false, description: 'For delta sync.' });
      }
      for (const [name, f] of Object.entries(def.fields)) {
        const type = comparisonFor(f);
        if (type) fields[name] = t.field({ type, required: false });
      }
      for (const rel of relationsOf(def.name).filter((r) => r.filterable)) {
        fields[rel.name] = t.field({
          type: filterRef(typeNameOf(rel.target)), required: false,
          description: `True when some of ${rel.name} match.`,
        });
      }
      return fields;
    },
  });
  return ref;
}

export function defineOrder(def: EntityDef, typeName: string): OrderRef {
  const fieldEnum = builder.enumType(`${typeName}OrderField`, {
    values: Object.fromEntries(orderableFields(def).map((f) => [f, { value: f }])),
  });
  return builder.inputRef<OrderInput>(`${typeName}Order`).implement({
    description: `Orders ${typeName} records; sourcedId is always appended as the final tiebreaker.`,
    fields: (t) => ({
      field: t.field({ type: fieldEnum, required: true }),
      direction: t.field({ type: SortDirection, required: false, defaultValue: 'ASC' }),
    }),
  });
}
