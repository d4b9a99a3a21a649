import type { ObjectRef } from '@pothos/core';
import type { FilterInput } from '../data/filters.js';
import type { ListArgs, OrderSpec, Page, Row } from '../data/queries.js';
import { badInput } from '../shared/errors.js';
import { builder, type Types } from './builder.js';
import type { Context } from './context.js';
import type { OrderInput } from './inputs.js';

export interface CollectionArgs {
  filter?: FilterInput | null;
  orderBy?: readonly OrderInput[] | null;
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  offset?: number | null;
  limit?: number | null;
}

/** What a connection field resolves to; the connection's own fields read from it. */
export interface ConnectionValue { page: Page; fromEnd: boolean }

export const DEFAULT_PAGE_SIZE = 100;

const encodeCursor = (index: number) => Buffer.from(`o:${index}`).toString('base64url');
function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const index = Number(text.slice(2));
  if (!text.startsWith('o:') || !Number.isInteger(index) || index < 0) throw badInput(`invalid cursor ${JSON.stringify(cursor)}`);
  return index;
}

/** Translates Relay (first/after, last/before) or offset/limit arguments into one window. */
export function listArgs(args: CollectionArgs, ctx: Context, withTotal: boolean): ListArgs {
  const max = ctx.limits.maxLimit;
  const check = (name: string, n: number | null | undefined, min: number) => {
    if (n == null) return;
    if (!Number.isInteger(n) || n < min) throw badInput(`${name} must be an integer of at least ${min}`);
    if (name !== 'offset' && n > max) throw badInput(`${name} ${n} exceeds the maximum page size of ${max}`);
  };
  check('first', args.first, 0); check('last', args.last, 0); check('limit', args.limit, 1); check('offset', args.offset, 0);
  const relay = args.first != null || args.after != null || args.last != null || args.before != null;
  if (relay && (args.offset != null || args.limit != null)) throw badInput('use either first/after/last/before or offset/limit, not both');
  const orderBy = args.orderBy?.map((o): OrderSpec => ({ field: o.field, direction: o.direction ?? 'ASC' }));
  const base = { filter: args.filter ?? undefined, orderBy, withTotal };
  if (args.last != null || args.before != null) {
    const last = args.last ?? DEFAULT_PAGE_SIZE;
    if (args.before != null) {
      const end = decodeCursor(args.before);
      const offset = Math.max(0, end - last);
      return { ...base, offset, limit: end - offset };
    }
    return { ...base, offset: 0, limit: last, fromEnd: true, withTotal: true };
  }
  const offset = args.after != null ? decodeCursor(args.after) + 1 : (args.offset ?? 0);
  return { ...base, offset, limit: args.first ?? args.limit ?? Math.min(DEFAULT_PAGE_SIZE, max) };
}

export const PageInfo = builder.objectRef<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>('PageInfo')
  .implement({
    description: 'Relay page information. Cursors are positions in the ordered collection.',
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
      startCursor: t.exposeString('startCursor', { nullable: true }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

/** Absolute position of the i-th row of a page (needed for cursors when reading from the end). */
function positionOf(v: ConnectionValue, i: number): number {
  if (!v.fromEnd) return v.page.offset + i;
  return (v.page.total ?? v.page.rows.length) - v.page.rows.length + i;
}

export type ConnectionRef = ObjectRef<Types, ConnectionValue>;

/** `<Type>Connection` and `<Type>Edge` of a record type whose rows `node` reads. */
export function connectionType(typeName: string, node: ObjectRef<Types, Row>): ConnectionRef {
  const edge = builder.objectRef<{ row: Row; cursor: string }>(`${typeName}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (e) => e.row }),
    }),
  });
  return builder.objectRef<ConnectionValue>(`${typeName}Connection`).implement({
    description: `A page of ${typeName} records.`,
    fields: (t) => ({
      totalCount: t.field({
        type: 'NonNegativeInt', description: 'All records matching the filter, regardless of paging.',
        resolve: (v) => v.page.total ?? 0,
      }),
      pageInfo: t.field({
        type: PageInfo,
        resolve: (v) => {
          const n = v.page.rows.length;
          return {
            hasNextPage: v.fromEnd ? false : v.page.hasMore,
            hasPreviousPage: v.fromEnd ? v.page.hasMore : v.page.offset > 0,
            startCursor: n ? encodeCursor(positionOf(v, 0)) : null,
            endCursor: n ? encodeCursor(positionOf(v, n - 1)) : null,
          };
        },
      }),
      edges: t.field({
        type: [edge],
        resolve: (v) => v.page.rows.map((row, i) => ({ row, cursor: encodeCursor(positionOf(v, i)) })),
      }),
      nodes: t.field({ type: [node], resolve: (v) => v.page.rows }),
    }),
  });
}
