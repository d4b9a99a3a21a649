import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, freePort } from '../support/cli.js';
import { onServer, testDatabase } from '../support/db.js';
import type { Database } from '../../src/db/orm.js';
import { serve, smallEmbeddedStore } from './processes.js';

/**
 * SIGTERM on a real `serve` process: the listening socket closes at once, a request in flight is
 * finished, one still in flight after SHUTDOWN_TIMEOUT_MS is cut, then the pool closes and the process
 * exits 0. A request stays "in flight" here by sending its body in two parts.
 */
const BODY = JSON.stringify({ query: '{ __typename }' });

function partialRequest(port: number): { socket: net.Socket; finish: () => void; response: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, 5)}`);
  let data = '';
  const response = new Promise<string>((resolve) => {
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(data));
    socket.on('error', () => {}); // a cut connection ends in 'close' with what arrived
  });
  return { socket, finish: () => socket.write(BODY.slice(5)), response };
}

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });

describe('SIGTERM', { timeout: 240_000 }, () => {
  let dataDir: string;
  let db: Database | undefined;
  afterAll(async () => {
    await db?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('stops accepting, finishes a request in flight, cuts one past SHUTDOWN_TIMEOUT_MS, and exits 0', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-term-'));
    if (onServer()) db = await testDatabase();
    else await smallEmbeddedStore(dataDir);
    const port = freePort();
    const timeoutMs = 3_000;
    const server = await serve({
      DATA_DIR: dataDir, DATABASE_URL: db ? db.orm.config.get('clientUrl')! : '', LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    }, port);
    const finishing = partialRequest(port);
    const stalled = partialRequest(port);
    await new Promise((r) => setTimeout(r, 300)); // both requests reached the server

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.child.exitCode).toBeNull(); // still finishing
    expect(await connects(port)).toBe(false); // but no longer accepting

    finishing.finish();
    const answered = await finishing.response;
    expect(answered).toMatch(/^HTTP\/1\.1 200 /);
    expect(answered).toContain('"__typename":"Query"');

    expect(await exited(server.child)).toBe(0);
    const exitedAfter = Date.now() - signalledAt;
    expect(exitedAfter).toBeGreaterThanOrEqual(timeoutMs - 100); // waited for the stalled request...
    const cut = await stalled.response;
    expect(cut).toBe(''); // ...which got no response: its connection was closed
    expect(server.output()).toContain('SHUTDOWN_TIMEOUT_MS');
  });
});
