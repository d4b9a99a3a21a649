import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ADMIN_SCOPE } from '../auth/scopes.js';
import { AuthError } from '../auth/tokens.js';
import type { CsvLimits } from '../db/config.js';
import type { Database } from '../db/orm.js';
import { exportPackage } from './export.js';
import { importInWorker } from './import-in-worker.js';
import { PackageError } from './read-package.js';
import { zipSink } from './sinks.js';
import { parseSince } from './since.js';
import { reportImport } from '../ops/job-events.js';

export const CSV_IMPORT_PATH = '/admin/csv/import';
export const CSV_EXPORT_PATH = '/admin/csv/export';

class UploadTooLarge extends Error {}

/** Passes bytes on until more than `max` have come (a chunked upload has no Content-Length to check first). */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > max ? new UploadTooLarge() : null, chunk);
    },
  });
}

/** Not under /ims/, so the REST guard does not cover these: they check the token and ADMIN_SCOPE themselves. */
async function requireAdmin(app: Parameters<FastifyPluginAsync>[0], req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  try {
    const principal = await app.authenticatePrincipal(req);
    if (principal.scopes.has(ADMIN_SCOPE)) return true;
    await reply.code(403).send({ error: 'forbidden', message: `this route needs the scope ${ADMIN_SCOPE}` });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    await reply.code(401).header('WWW-Authenticate', `Bearer error="invalid_token"`).send({ error: 'unauthorized', message: err.message });
  }
  return false;
}

/**
 * Admin CSV routes: POST a package as a raw `application/zip` body (the same report JSON as the
 * CLI's --json; 422 when the package has errors; `?dryRun=true` validates only), and GET the
 * package as a streamed ZIP (`?since=` for a delta).
 */
export const csvRoutes = (db: Database, limits: CsvLimits): FastifyPluginAsync => async (app) => {
  // The upload is streamed to a temporary file (a ZIP is read from its central directory at the end).
  app.addContentTypeParser(['application/zip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  app.post(CSV_IMPORT_PATH, { bodyLimit: limits.maxUploadBytes }, async (req, reply) => {
    if (!(await requireAdmin(app, req, reply))) return reply;
    if (!req.body || typeof (req.body as Readable).pipe !== 'function') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'send the package ZIP as an application/zip body' });
    }
    const tooLarge = () => reply.code(413).send({ error: 'payload_too_large', message: `the upload is larger than ${limits.maxUploadBytes} bytes (CSV_MAX_UPLOAD_BYTES)` });
    if (Number(req.headers['content-length'] ?? 0) > limits.maxUploadBytes) return tooLarge();
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'oneroster-csv-'));
    try {
      const file = path.join(dir, 'package.zip');
      // Through a PassThrough: an upload over the limit is left unread (not destroyed), so the 413 still reaches the client.
      await pipeline((req.body as Readable).pipe(new PassThrough()), byteLimit(limits.maxUploadBytes), fs.createWriteStream(file));
      const dryRun = (req.query as Record<string, string>).dryRun === 'true';
      // Off the event loop: REST and GraphQL keep answering while a package is parsed and checked.
      const report = await importInWorker(db, file, { dryRun, limits });
      reportImport(report);
      return reply.code(report.ok ? 200 : 422).send(report);
    } catch (err) {
      if (err instanceof UploadTooLarge) return tooLarge().header('connection', 'close');
      if (err instanceof PackageError) return reply.code(err.status).send({ error: 'bad_package', message: err.message });
      throw err;
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  app.get(CSV_EXPORT_PATH, async (req, reply) => {
    if (!(await requireAdmin(app, req, reply))) return reply;
    let since: string | undefined;
    const raw = (req.query as Record<string, string>).since;
    try {
      since = raw === undefined ? undefined : parseSince(raw);
    } catch (err) {
      return reply.code(400).send({ error: 'bad_request', message: `since: ${(err as Error).message}` });
    }
    const body = new PassThrough();
    exportPackage(db, zipSink(body), { since }).catch((err: Error) => {
      req.log.error({ err }, 'CSV export failed');
      body.destroy(err);
    });
    const name = `oneroster-${since ? 'delta' : 'bulk'}-${new Date().toISOString().replace(/[:.]/g, '-')}.zip`;
    return reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${name}"`).send(body);
  });
};
