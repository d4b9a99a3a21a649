import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';

/** Where an export writes its files: a folder, or a ZIP archive streamed to any writable. */
export interface PackageSink {
  /** Writes one file; `produce` writes its content to `out` and resolves when done (it does not end `out`). */
  file(name: string, produce: (out: Writable) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function folderSink(dir: string): Promise<PackageSink> {
  await fs.promises.mkdir(dir, { recursive: true });
  return {
    async file(name, produce) {
      const out = fs.createWriteStream(path.join(dir, name), { highWaterMark: 256 * 1024 });
      await produce(out);
      out.end();
      await finished(out);
    },
    close: async () => undefined,
  };
}

/** A ZIP streamed through yazl: entries are compressed as they are produced, nothing is buffered whole. */
export function zipSink(output: Writable): PackageSink {
  const zip = new yazl.ZipFile();
  zip.outputStream.pipe(output);
  const done = finished(output);
  return {
    async file(name, produce) {
      const entry = new PassThrough({ highWaterMark: 256 * 1024 });
      zip.addReadStream(entry, name, { compressionLevel: 1 });
      await produce(entry);
      entry.end();
      await finished(entry);
    },
    async close() {
      zip.end();
      await done;
    },
  };
}
