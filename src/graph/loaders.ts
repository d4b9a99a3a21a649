import DataLoader from 'dataloader';
import { findByIds, listNested, type Embed, type ListArgs, type Page, type Reader, type Row } from '../data/queries.js';
import type { EntityName } from '../model/dsl.js';
import { entityDef } from '../model/index.js';
import type { Relation } from '../model/relations.js';

/**
 * The per-request loaders, and the one place that knows their keys. A record is loaded by id in one
 * variant per property set (`byId`), and appears in relation pages keyed by owner (`relation`);
 * `invalidate` after a write clears every variant of the written id and drops every page the write
 * could change, so a later field of the same document (the next mutation's payload) reads it anew.
 */
export class Loaders {
  private readonly records = new Map<EntityName, Map<string, DataLoader<string, Row | undefined>>>();
  private readonly pages = new Map<Relation, Map<string, RelationLoader>>();
  private readonly specs = new WeakMap<ListArgs, string>();

  constructor(private readonly reader: Reader) {}

  /** Records of `type` by sourcedId: every property, or only `props`, with `embeds` read along (one loader per variant). */
  byId(type: EntityName, props?: readonly string[], embeds?: readonly Embed[]): DataLoader<string, Row | undefined> {
    let variants = this.records.get(type);
    if (!variants) this.records.set(type, (variants = new Map()));
    const key = `${props?.join() ?? '*'}:${embedsSpec(embeds)}`;
    let l = variants.get(key);
    if (!l) variants.set(key, (l = batched((ids) => findByIds(this.reader, type, ids, props, embeds), () => undefined)));
    return l;
  }

  /** Pages of `rel` by owner sourcedId, one loader per page spec (paging, filter, order, columns, embeds). */
  relation(rel: Relation, args: ListArgs): DataLoader<string, Page> {
    let variants = this.pages.get(rel);
    if (!variants) this.pages.set(rel, (variants = new Map()));
    const key = this.specOf(args);
    let entry = variants.get(key);
    if (!entry) {
      entry = { loader: batched((ids) => listNested(this.reader, rel, ids, args), missingPage), reads: tablesRead(rel, args) };
      variants.set(key, entry);
    }
    return entry.loader;
  }

  /**
   * Forgets what this request read of record `type`/`sourcedId` (and of the rows it owns, such as a
   * line item's score-scale link and learning objectives): its byId entries in every property set,
   * every record read with embedded pages, every page that reads its table (it may have entered, left
   * or changed there) and its own pages.
   */
  invalidate(type: EntityName, sourcedId: string): void {
    for (const l of this.records.get(type)?.values() ?? []) l.clear(sourcedId);
    // Records read with embeds hold pages of other tables, which the write may have changed.
    for (const variants of this.records.values()) for (const [key, l] of variants) if (!key.endsWith(':')) l.clearAll();
    const table = entityDef(type).table;
    for (const [rel, variants] of this.pages) {
      for (const [key, entry] of variants) {
        if (entry.reads === ANY || entry.reads.has(table)) variants.delete(key);
        else if (rel.owner === type) entry.loader.clear(sourcedId);
      }
    }
  }

  /** The page spec's key, worked out once per args object (a nested field reuses one for every parent row). */
  private specOf(args: ListArgs): string {
    let spec = this.specs.get(args);
    if (spec === undefined) this.specs.set(args, (spec = pageSpec(args)));
    return spec;
  }
}

interface RelationLoader { loader: DataLoader<string, Page>; reads: ReadonlySet<string> | typeof ANY }

/** A page with a filter may test any related table (relation filters), so any write may change it. */
const ANY = 'any';

/** `missing` answers an id the batch did not return (a record that does not exist). */
function batched<V>(batch: (ids: readonly string[]) => Promise<Map<string, V>>, missing: (id: string) => V): DataLoader<string, V> {
  // No batch cap: ids travel as one jsonb parameter, so any number of parents is one statement.
  return new DataLoader<string, V>(async (ids) => {
    const found = await batch(ids);
    return ids.map((id) => found.get(id) ?? missing(id));
  });
}

/** listNested answers every owner id, so a page is never missing. */
const missingPage = (id: string): Page => { throw new Error(`no page was read for owner ${id}`); };

function pageSpec(args: ListArgs): string {
  const { embeds, ...rest } = args;
  return `${JSON.stringify(rest)}:${embedsSpec(embeds)}`;
}

const embedsSpec = (embeds: readonly Embed[] | undefined): string =>
  embeds?.map((e) => `${e.key}=${e.rel.owner}.${e.rel.name}:${pageSpec(e.args)}`).join() ?? '';

const linkTables = new Map<Relation, string[]>();
/** Tables a relation reads: its target's, and those its link passes through. */
function relationTables(rel: Relation): string[] {
  let tables = linkTables.get(rel);
  if (!tables) {
    const paths = 'paths' in rel.source ? rel.source.paths : [];
    tables = [entityDef(rel.target).table, ...paths.flatMap((p) => p.hops.map((h) => h.table))];
    linkTables.set(rel, tables);
  }
  return tables;
}

function tablesRead(rel: Relation, args: ListArgs): ReadonlySet<string> | typeof ANY {
  if (args.filter != null) return ANY;
  const tables = new Set(relationTables(rel));
  for (const e of args.embeds ?? []) {
    const inner = tablesRead(e.rel, e.args);
    if (inner === ANY) return ANY;
    for (const t of inner) tables.add(t);
  }
  return tables;
}
