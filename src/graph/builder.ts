import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { DateResolver, JSONObjectResolver, JSONResolver, NonNegativeIntResolver } from 'graphql-scalars';
import { CodedError, forbidden } from '../shared/errors.js';
import type { Context } from './context.js';
import { readableWith } from './filter-guard.js';
import { DateTimeScalar } from './scalars.js';

export interface BuilderTypes {
  Context: Context;
  AuthScopes: { anyScope: readonly string[] };
  Scalars: {
    // graphql-js coerces every ID input to a string.
    ID: { Input: string; Output: string | number };
    DateTime: { Input: string; Output: string };
    Date: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    NonNegativeInt: { Input: number; Output: number };
  };
  DefaultFieldNullability: false;
}

/** The builder's full type parameters, for helpers that take a field or argument builder. */
export type Types = PothosSchemaTypes.ExtendDefaultTypes<BuilderTypes>;

/** Plugins and scalars only; the types live in the files that describe them. */
export const builder = new SchemaBuilder<BuilderTypes>({
  plugins: [ScopeAuthPlugin, ComplexityPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Once per request: a v1.1 scope stands for its v1.2 twin, as on REST and in the filter guard.
    authScopes: (ctx) => {
      const held = readableWith(ctx.scopes);
      return { anyScope: (required) => required.some((s) => held.has(s)) };
    },
    unauthorizedError: (_parent, _ctx, info) =>
      forbidden(`the access token lacks a scope for ${info.parentType.name}.${info.fieldName}`),
  },
  complexity: {
    defaultComplexity: 1,
    // Connections carry their page size as multiplier; the `nodes`/`edges` lists must not multiply again.
    defaultListMultiplier: 1,
    // Unlimited depth and complexity (the REST layer's own documents, bounded by construction): no limit
    // at all, so the plugin does not walk the document to measure it.
    limit: (ctx) => (ctx.limits.maxDepth === Infinity && ctx.limits.maxComplexity === Infinity ? {}
      : { depth: ctx.limits.maxDepth, complexity: ctx.limits.maxComplexity, breadth: 200 }),
    complexityError: (kind, result) => new CodedError('QUERY_TOO_COMPLEX',
      `query ${kind.toLowerCase()} ${result[kind.toLowerCase() as 'depth']} exceeds the limit of ${result[`max${kind}` as 'maxDepth']}`),
  },
});

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('Date', DateResolver);
builder.addScalarType('JSON', JSONResolver);
builder.addScalarType('JSONObject', JSONObjectResolver);
builder.addScalarType('NonNegativeInt', NonNegativeIntResolver);
builder.queryType({});

