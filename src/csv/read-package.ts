import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { loadConfig, type CsvLimits } from '../db/config.js';
import { guardedCsv } from './input-guard.js';

/** The files of a package, whether it is a ZIP archive or a folder; each is read as a stream. */
export interface PackageSource {
  /** File names at the package root. */
  names: string[];
  size(name: string): number;
  /** The file's bytes, checked as they pass (input-guard.ts): line length, blank lines, UTF-8. */
  open(name: string): Promise<Readable>;
  close(): void;
}

/** The package as a whole cannot be read (not a ZIP, an unsafe or duplicate entry, over a limit); `status` for HTTP. */
export class PackageError extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
  }
}

/** The limits in force: the configuration's (CSV_MAX_* settings), overridden by `given`. */
export const csvLimits = (given: Partial<CsvLimits> = {}): CsvLimits => ({ ...loadConfig().csv, ...given });

export async function statPackage(location: string): Promise<fs.Stats> {
  return fs.promises.stat(location).catch(() => {
    throw new PackageError(`${location}: no such file or folder`);
  });
}

/** Opens `location` as a folder or a ZIP archive (by what it is, not by its name). */
export async function openPackage(location: string, limits: CsvLimits = csvLimits()): Promise<PackageSource> {
  const source = (await statPackage(location)).isDirectory() ? await openFolder(location) : await openZip(location, limits);
  return { ...source, open: async (name) => guardedCsv(name, await source.open(name), limits.maxLineBytes) };
}

async function openFolder(dir: string): Promise<PackageSource> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true });
  const sizes = new Map<string, number>();
  for (const e of entries.filter((x) => x.isFile())) sizes.set(e.name, (await fs.promises.stat(path.join(dir, e.name))).size);
  return {
    names: [...sizes.keys()],
    size: (name) => sizes.get(name) ?? 0,
    open: async (name) => fs.createReadStream(path.join(dir, name), { highWaterMark: 256 * 1024 }),
    close: () => undefined,
  };
}

/** Entries this small cannot amount to a bomb whatever their ratio (a file of blank lines compresses 1000:1). */
const RATIO_FLOOR = 1024 * 1024;

async function openZip(file: string, limits: CsvLimits): Promise<PackageSource> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new PackageError(`${file}: not a ZIP archive or folder (${(err as Error).message})`);
  }
  // The central directory lists the entries; reading it does not touch the compressed data. Every
  // limit is checked here, before any entry is read; yauzl then refuses an entry whose data
  // inflates to more than its declared size, so the declared sizes bound the real ones.
  const entries = new Map<string, yauzl.Entry>();
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (entries.has(entry.fileName)) throw new PackageError(`${entry.fileName}: the ZIP holds two entries of this name`);
      total += entry.uncompressedSize;
      if (total > limits.maxUnzippedBytes) {
        throw new PackageError(`the package unzips to more than ${limits.maxUnzippedBytes} bytes (CSV_MAX_UNZIPPED_BYTES)`, 413);
      }
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (entry.uncompressedSize > RATIO_FLOOR && ratio > limits.maxZipRatio) {
        throw new PackageError(`${entry.fileName}: compressed ${Math.round(ratio)}:1, more than ${limits.maxZipRatio}:1 (CSV_MAX_ZIP_RATIO); refused as a possible ZIP bomb`, 413);
      }
      entries.set(entry.fileName, entry);
    }
  } catch (err) {
    zip.close();
    if (err instanceof PackageError) throw err;
    // yauzl's own refusals: a path escaping the package (`../x`, `/etc/x`), a corrupt directory.
    throw new PackageError(`${file}: unsafe or unreadable ZIP entry (${(err as Error).message})`);
  }
  return {
    names: [...entries.keys()],
    size: (name) => entries.get(name)?.uncompressedSize ?? 0,
    open: (name) => zip.openReadStreamPromise(entries.get(name)!),
    close: () => zip.close(),
  };
}
