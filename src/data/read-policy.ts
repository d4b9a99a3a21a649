import type { Sql } from '../db/sql.js';
import type { EntityName } from '../model/dsl.js';

/**
 * What one caller may read, as conditions the data layer adds to every statement that reads a type
 * (root pages, nested pages, counts, embeds, relation filters, lookups by id). Authorization has
 * this one home in the data layer, so no resolver can forget it.
 */
export interface ReadPolicy {
  /** Extra condition on the rows of `entity` read under table alias `alias`; undefined when every row is visible. */
  rows(entity: EntityName, alias: string): Sql | undefined;
}

/** The whole district: admin tools, CSV export, and clients without sharing rules. */
export const wholeDistrict: ReadPolicy = { rows: () => undefined };
