/**
 * Collects parameters for one statement. Pieces of SQL are built out of textual order (a filter is
 * compiled before the query around it), so `add` hands out a marker and `finish` renumbers the markers
 * into `?` placeholders in the order they appear, as knex/MikroORM `execute` expects.
 */
export class SqlParams {
  private readonly pending: unknown[] = [];

  add(value: unknown): string {
    this.pending.push(value);
    return `\u0001${this.pending.length - 1}\u0001`;
  }

  finish(sql: string): { sql: string; values: unknown[] } {
    const values: unknown[] = [];
    const text = sql.replace(/\u0001(\d+)\u0001/g, (_, i: string) => {
      values.push(this.pending[Number(i)]);
      return '?';
    });
    return { sql: text, values };
  }
}
