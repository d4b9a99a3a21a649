import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** The files of a package, whether it is a ZIP archive or a folder; each is read as a stream. */
export interface PackageSource {
  /** File names at the package root. */
  names: string[];
  size(name: string): number;
  open(name: string): Promise<Readable>;
  close(): void;
}

export class PackageError extends Error {}

export async function statPackage(location: string): Promise<fs.Stats> {
  return fs.promises.stat(location).catch(() => {
    throw new PackageError(`${location}: no such file or folder`);
  });
}

/** Opens `location` as a folder or a ZIP archive (by what it is, not by its name). */
export async function openPackage(location: string): Promise<PackageSource> {
  return (await statPackage(location)).isDirectory() ? openFolder(location) : openZip(location);
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

async function openZip(file: string): Promise<PackageSource> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new PackageError(`${file}: not a ZIP archive or folder (${(err as Error).message})`);
  }
  // The central directory lists the entries; reading it does not touch the compressed data.
  const entries = new Map<string, yauzl.Entry>();
  for await (const entry of zip.eachEntry()) if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
  return {
    names: [...entries.keys()],
    size: (name) => entries.get(name)?.uncompressedSize ?? 0,
    open: (name) => zip.openReadStreamPromise(entries.get(name)!),
    close: () => zip.close(),
  };
}
