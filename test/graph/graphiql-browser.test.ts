import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/db/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

/**
 * GraphiQL in a real browser (Debian's chromium, headless) on a network limited to this machine: the
 * explorer of a fresh embedded demo store loads, runs its default query with the pre-filled demo token,
 * and shows data, while no request leaves the host. Always on the embedded store (the demo token
 * exists only there), whatever DATABASE_URL says.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

describe('GraphiQL in headless chromium without internet', { timeout: 240_000 }, () => {
  let dataDir: string;
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let base: string;

  // In the test itself, not in beforeAll: a missing chromium must count as a failed test, not a skipped one.
  const start = async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    }
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'og-graphiql-'));
    const config = loadConfig({ DATA_DIR: dataDir, DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    server = await startServer(config, { print: () => {} });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in CI has no user namespace for chromium's sandbox. Every host but this machine's is
      // unresolvable for the whole browser (workers included), beside the per-request check below.
      args: ['--no-sandbox', '--disable-background-networking', '--no-first-run',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
    });
  };

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('runs the default query with the demo token and shows data; nothing leaves the host', async () => {
    await start();
    const page = await browser!.newPage();
    const requested: string[] = [];
    const leftHost: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = new URL(request.url());
      requested.push(url.href.slice(0, 80));
      // data: and blob: URLs are the page's own inline assets and editor workers.
      if (url.protocol === 'data:' || url.protocol === 'blob:' || LOCAL_HOSTS.has(url.hostname)) return void request.continue();
      leftHost.push(url.href);
      return void request.abort('blockedbyclient');
    });
    const graphqlPosts: number[] = [];
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && response.url() === `${base}/graphql`) graphqlPosts.push(response.status());
    });

    try {
      await page.goto(`${base}/graphql`, { waitUntil: 'load', timeout: 120_000 });
      await page.waitForSelector('.graphiql-execute-button', { timeout: 120_000 });
    } catch (err) {
      // A page that needs another host (a CDN) never renders here: name what it asked for.
      throw new Error(`GraphiQL did not render (${(err as Error).message}); requests that left the host: ${leftHost.join(', ') || 'none'}`);
    }
    // The headers editor holds the demo token; the expected data is read with it, outside the browser.
    const token = /Bearer (ey[A-Za-z0-9._-]+)/.exec(await page.content())?.[1];
    expect(token, 'GraphiQL pre-filled with the demo token').toBeTruthy();
    const expected = await fetch(`${base}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ schools(first: 1, orderBy: [{ field: name }]) { totalCount nodes { sourcedId name } } }' }),
    });
    const { schools } = ((await expected.json()) as { data: { schools: { totalCount: number; nodes: { sourcedId: string; name: string }[] } } }).data;
    const first = schools.nodes[0]!;

    await page.click('.graphiql-execute-button');
    // The response editor wraps long lines, so whitespace is ignored when looking for the values.
    const compact = (s: string) => s.replace(/\s+/g, '');
    await page.waitForFunction(
      (needle: string) => (document.querySelector('.graphiql-response') as HTMLElement | null)?.innerText.replace(/\s+/g, '').includes(needle),
      { timeout: 60_000 }, compact(`"sourcedId":"${first.sourcedId}","name":"${first.name}"`),
    );
    const pane = compact(await page.$eval('.graphiql-response', (el) => (el as HTMLElement).innerText));
    expect(pane).toContain(`"data":{"schools":{"totalCount":${schools.totalCount},`);
    expect(pane).not.toContain('"errors"');
    expect(graphqlPosts).toContain(200);

    expect(leftHost).toEqual([]);
    expect(requested.some((u) => u.startsWith(`${base}/graphql`))).toBe(true);
  });
});
