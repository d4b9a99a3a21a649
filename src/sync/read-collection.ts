/**
 * One collection of a sync run: its pages as they arrive, each read and checked into the batch and
 * moved to the staging tables, so that the run holds one page, not the upstream. Records shifting
 * between pages while the upstream changes can arrive twice: the last copy wins.
 */
import type { EntityName } from '../model/dsl.js';
import { whyNotOffered } from './not-offered.js';
import type { Batch, SyncCollection } from './records.js';
import type { SyncStage } from './stage.js';
import type { Fetched, Upstream, UpstreamError } from './upstream.js';

/** What reads upstream records into a batch: RecordReader (1.2), V1p1Reader (1.1). */
export interface SyncReader {
  read(entity: EntityName, fetched: Fetched): void;
  forget(entity: EntityName, rawId: unknown): void;
  localId(entity: EntityName, raw: string): string;
}

export interface CollectionRun {
  upstream: Upstream;
  reader: SyncReader;
  stage: SyncStage;
  batch: Batch;
  /** The incremental filter; undefined reads the whole collection. */
  filter?: string;
  onPage?: (collection: string, fetched: number, total?: number) => void;
}

/** The distinct records read, or why an optional collection is not offered (not-offered.ts); any other failure throws. */
export async function readCollection(c: SyncCollection, r: CollectionRun): Promise<{ records: number } | { skipped: string }> {
  const seen = new Set<unknown>();
  let fetched = 0;
  let pages = 0;
  try {
    for await (const page of r.upstream.pages(c.service, c.path, c.wrapper, r.filter)) {
      pages++;
      for (const record of page.records) {
        if (seen.has(record.sourcedId)) {
          r.reader.forget(c.entity, record.sourcedId);
          r.stage.forget(c.entity, r.reader.localId(c.entity, String(record.sourcedId)));
        }
        seen.add(record.sourcedId);
        r.reader.read(c.entity, { url: page.url, record });
      }
      await r.stage.flush(r.batch);
      fetched += page.records.length;
      r.onPage?.(c.wrapper, fetched, page.total);
    }
  } catch (err) {
    const why = whyNotOffered(c, err);
    if (!why) throw err;
    // Refused after pages it did serve, or a collection the service cannot do without: the run fails.
    if (!c.optional || pages > 0) throw new Error(`${why}: ${(err as UpstreamError).url}`);
    return { skipped: why };
  }
  return { records: seen.size };
}
