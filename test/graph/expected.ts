import type { Row } from '../../src/db/bulk.js';

/**
 * The expected side of the filter, order and paging tests: plain TypeScript over the generator's rows,
 * written from the semantics the API documents, not from the SQL that implements them.
 */

/** Text compares by code point (UTF-8 bytes), the order of the C collation both databases use. */
function compareScalar(a: unknown, b: unknown): number {
  if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1; // null sorts first ascending, last descending
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(String(b)));
  if (typeof a === 'boolean') return Number(a) - Number(b);
  return Number(a) - Number(b);
}

export interface Order { field: string; direction?: 'ASC' | 'DESC' }

/** Sorts rows by the order keys, then by sourcedId (ascending unless given) as the tiebreaker. */
export function sortRows(rows: Row[], orderBy: Order[] = []): Row[] {
  const keys = orderBy.some((o) => o.field === 'sourcedId') ? orderBy : [...orderBy, { field: 'sourcedId' }];
  return [...rows].sort((x, y) => {
    for (const k of keys) {
      const c = compareScalar(x[k.field], y[k.field]);
      if (c) return k.direction === 'DESC' ? -c : c;
    }
    return 0;
  });
}

export const ids = (rows: Row[]) => rows.map((r) => r.sourcedId as string);

/** One field comparison as documented on the `*Comparison` inputs; lists match when any element does. */
export function matches(value: unknown, c: Record<string, unknown>): boolean {
  if (Array.isArray(value) || c.__list) {
    const list = (value as unknown[] | null) ?? [];
    return Object.entries(c).filter(([op]) => op !== '__list').every(([op, x]) => {
      if (op === 'isNull') return (list.length === 0) === x;
      if (op === 'ne') return !list.includes(x);
      return list.some((e) => matches(e, { [op]: x }));
    });
  }
  return Object.entries(c).every(([op, x]) => {
    switch (op) {
      case 'eq': return value != null && compareScalar(value, x) === 0;
      case 'ne': return value == null || compareScalar(value, x) !== 0;
      case 'gt': return value != null && compareScalar(value, x) > 0;
      case 'gte': return value != null && compareScalar(value, x) >= 0;
      case 'lt': return value != null && compareScalar(value, x) < 0;
      case 'lte': return value != null && compareScalar(value, x) <= 0;
      case 'in': return value != null && (x as unknown[]).some((v) => compareScalar(value, v) === 0);
      case 'contains': return value != null && String(value).toLowerCase().includes(String(x).toLowerCase());
      case 'isNull': return (value == null) === x;
      default: throw new Error(`unknown comparison ${op}`);
    }
  });
}
