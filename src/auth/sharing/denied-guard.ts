import {
  getNamedType, GraphQLInputObjectType, TypeInfo, valueFromAST, visit, visitWithTypeInfo,
  type DocumentNode, type GraphQLSchema,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { FilterInput } from '../../data/filters.js';
import { forbidden } from '../../shared/errors.js';
import type { DeniedFields } from './fields.js';

/**
 * Denied fields in GraphQL: selecting one, filtering on one (also through a relation filter) or
 * ordering by one is refused with FORBIDDEN before anything runs. Refused rather than answered null:
 * a null would read as "not set", and a filter or order on the field would still be an oracle on it.
 */
const deniedError = (typeName: string, field: string, use: 'select' | 'filter on' | 'sort on') =>
  forbidden(`this client may not ${use} ${typeName}.${field} (denied by its sharing rules)`);

/** A `<Type>Filter` value, walked with its input types: every field named on the way is checked. */
export function checkFilterFields(schema: GraphQLSchema, typeName: string, filter: FilterInput, denied: DeniedFields): void {
  const walk = (type: GraphQLInputObjectType, owner: string, value: FilterInput) => {
    const fields = type.getFields();
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      if (key === 'AND' || key === 'OR') { for (const item of v as FilterInput[]) walk(type, owner, item); continue; }
      if (key === 'NOT') { walk(type, owner, v as FilterInput); continue; }
      if (denied.has(owner, key)) throw deniedError(owner, key, 'filter on');
      const inner = fields[key] && getNamedType(fields[key].type);
      if (inner instanceof GraphQLInputObjectType && inner.name.endsWith('Filter') && inner.name !== 'RefFilter') {
        walk(inner, inner.name.replace(/Filter$/, ''), v as FilterInput);
      }
    }
  };
  const type = schema.getType(`${typeName}Filter`);
  if (type instanceof GraphQLInputObjectType) walk(type, typeName, filter);
}

export function checkSortFields(typeName: string, fields: readonly string[], denied: DeniedFields): void {
  for (const f of fields) if (denied.has(typeName, f)) throw deniedError(typeName, f, 'sort on');
}

/** Every selected field, `filter` and `orderBy` argument of a document, against the caller's denied fields. */
export function checkDeniedFields(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, denied: DeniedFields): void {
  if (denied.empty) return;
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (parent && denied.has(parent.name, node.name.value)) throw deniedError(parent.name, node.name.value, 'select');
    },
    Argument(node) {
      const arg = typeInfo.getArgument();
      if (!arg) return;
      const named = getNamedType(arg.type);
      if (!(named instanceof GraphQLInputObjectType)) return;
      if (named.name.endsWith('Filter')) {
        const value = valueFromAST(node.value, arg.type, variables) as FilterInput | undefined;
        if (value) checkFilterFields(schema, named.name.replace(/Filter$/, ''), value, denied);
      } else if (named.name.endsWith('Order')) {
        const value = valueFromAST(node.value, arg.type, variables) as { field: string }[] | { field: string } | undefined;
        if (value) checkSortFields(named.name.replace(/Order$/, ''), [value].flat().map((o) => o.field), denied);
      }
    },
  }));
}

/** The yoga plugin: runs after validation, before execution, with the request's sharing rules. */
export function deniedFieldsPlugin(deniedOf: (context: unknown) => DeniedFields | undefined): Plugin {
  return {
    onExecute({ args }) {
      const denied = deniedOf(args.contextValue);
      if (denied) checkDeniedFields(args.schema, args.document, args.variableValues ?? undefined, denied);
    },
  };
}
