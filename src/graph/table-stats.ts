/**
 * PostgreSQL's row estimates as the cost estimate reads them (graph/cost.ts reads and caches them;
 * each request's context carries the current ones). A module of its own so that the context does
 * not depend on the cost module, which depends on the context.
 */
export interface TableStats {
  /** Estimated rows per table. */
  rows: ReadonlyMap<string, number>;
  /** Estimated rows of `table` per distinct non-null value of `column`: key `table.column`. */
  perValue: ReadonlyMap<string, number>;
}
