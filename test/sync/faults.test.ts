import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run, sql } from '../../src/db/sql.js';
import { syncSource } from '../../src/sync/run.js';
import { addSource, checkSourceInput, DEFAULT_PAGE_SIZE, listSources, removeSource, updateSource } from '../../src/sync/sources.js';
import { Upstream } from '../../src/sync/upstream.js';
import { closeInstances, collection, expectConverged, faultProxy, proxiedSource, requestTo, snapshot, SOURCES_KEY, withoutStamp, type Instance } from './support.js';

const FAST_RETRIES = { minRetryDelayMs: 20, maxRetryDelayMs: 200, timeoutMs: 1500, pageSize: 10 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small proxy between gateway and upstream injects faults; each run converges or leaves the gateway exactly as it was. */
describe('sync through faults', () => {
  let upstream: Instance;
  let gateway: Instance;
  let proxy: Awaited<ReturnType<typeof faultProxy>>;
  let credentials: { client_id: string; client_secret: string };

  beforeAll(async () => {
    ({ upstream, gateway, proxy, credentials } = await proxiedSource(9));
  });
  afterAll(async () => {
    await proxy?.close();
    await closeInstances(upstream, gateway);
  });

  it('converges through 429 with Retry-After, 500s, a refused token, a dropped connection and a page slower than the timeout', async () => {
    const times: number[] = [];
    let slowed = false;
    proxy.faults.push(
      async (req, res) => {
        if (!requestTo('/users')(req)) return false;
        times.push(Date.now());
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{}');
        return true;
      },
      async (req) => { if (requestTo('/users')(req)) times.push(Date.now()); return false; }, // observes the retry
      async (req, res) => { if (!requestTo('/orgs')(req)) return false; res.writeHead(500).end('oops'); return true; },
      async (req, res) => { if (!requestTo('/orgs')(req)) return false; res.writeHead(503).end('busy'); return true; },
      async (req, res) => { if (!requestTo('/enrollments')(req)) return false; res.writeHead(401).end(); return true; }, // a revoked token
      async (req, res) => {
        if (!requestTo('/classes')(req)) return false;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"classes": [{"sourcedId": "cl');
        res.socket?.destroy(); // dropped mid-page
        return true;
      },
      async (req, _res, forward) => {
        if (!requestTo('/courses')(req) || slowed) return false;
        slowed = true; // only the first attempt is slow: its retry arrives while this one still sleeps
        await sleep(2500); // past the 1.5 s timeout
        await forward();
        return true;
      },
    );
    proxy.seen.length = 0;
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { upstream: FAST_RETRIES });
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(proxy.faults).toHaveLength(1); // the observer; every fault was used
    proxy.faults.length = 0;
    await expectConverged(gateway, upstream);
    // The retry after the 429 waited the second the upstream asked for.
    const usersRequests = proxy.seen.filter((u) => u.includes('/users?'));
    expect(usersRequests.length).toBeGreaterThanOrEqual(2);
    expect(proxy.seen.filter((u) => u.includes('/orgs?limit=10&offset=0')).length).toBe(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    // One token for the whole run, and one more after the 401.
    expect(proxy.seen.filter((u) => u === '/oauth/token')).toHaveLength(2);
  });

  it('an invalid record fails the run naming URL, sourcedId and field, and keeps nothing of it; the next run converges', async () => {
    await run(upstream.db.orm.em.fork(), sql`update orgs set name = 'Renamed District', date_last_modified = now() where sourced_id = 'district-1'`);
    const before = await snapshot(gateway);
    let broken = '';
    proxy.faults.push(async (req, _res, forward) => {
      if (!requestTo('/enrollments')(req)) return false;
      await forward((body) => {
        broken = body.enrollments[0].sourcedId;
        body.enrollments[0].role = 'wizard';
        return body;
      });
      return true;
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true, upstream: FAST_RETRIES });
    expect(report.ok).toBe(false);
    expect(report.error).toMatch(/1 invalid upstream records; nothing was written/);
    expect(report.errors).toEqual([expect.objectContaining({ sourcedId: broken, field: 'role', url: expect.stringContaining('/ims/oneroster/rostering/v1p2/enrollments?') })]);
    expect(report.errors[0].reason).toMatch(/"wizard" is not one of/);
    expect(await snapshot(gateway)).toEqual(before);

    const again = await syncSource(gateway.db, SOURCES_KEY, 'sis', { upstream: FAST_RETRIES });
    expect(again.error).toBeUndefined();
    await expectConverged(gateway, upstream);
    expect((await collection(gateway, 'orgs')).find((o) => o.sourcedId === 'district-1')?.name).toBe('Renamed District');
  });

  it('an upstream that keeps failing ends the run cleanly, naming the URL, with the data as before', async () => {
    await run(upstream.db.orm.em.fork(), sql`update orgs set name = 'Third Name', date_last_modified = now() where sourced_id = 'district-1'`);
    const before = await snapshot(gateway);
    const failing = async (req: { url?: string }, res: import('node:http').ServerResponse) => {
      if (!requestTo('/demographics')(req)) return false;
      res.writeHead(502).end();
      return 'keep' as const;
    };
    proxy.faults.push(failing);
    try {
      const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true, upstream: { ...FAST_RETRIES, retries: 2 } });
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(/^upstream answered 502: http:\/\/127\.0\.0\.1:\d+\/ims\/oneroster\/rostering\/v1p2\/demographics\?.* \(gave up after 3 attempts\)$/);
      expect(await snapshot(gateway)).toEqual(before);
    } finally {
      proxy.faults.splice(proxy.faults.indexOf(failing), 1);
    }
  });

  it('an upstream tombstone carrying only sourcedId, status and dateLastModified marks the record tobedeleted here', async () => {
    const [gone] = await run(upstream.db.orm.em.fork(), sql`update enrollments set status = 'tobedeleted', date_last_modified = now()
      where sourced_id = (select min(sourced_id) from enrollments where status = 'active') returning sourced_id`);
    const before = (await collection(gateway, 'enrollments')).find((e) => e.sourcedId === gone.sourced_id)!;
    expect(before.status).toBe('active');
    proxy.faults.push(async (req, _res, forward) => {
      if (!requestTo('/enrollments')(req)) return false;
      await forward((body) => ({
        enrollments: body.enrollments.map((e: any) => (e.status === 'tobedeleted' ? { sourcedId: e.sourcedId, status: e.status, dateLastModified: e.dateLastModified } : e)),
      }));
      return true;
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { upstream: FAST_RETRIES });
    expect(report.error).toBeUndefined();
    expect(report.tables.enrollments).toEqual({ changed: 0, deleted: 1 });
    const after = (await collection(gateway, 'enrollments')).find((e) => e.sourcedId === gone.sourced_id)!;
    expect(withoutStamp([after])).toEqual(withoutStamp([{ ...before, status: 'tobedeleted' }]));
  });

  it('a record sent twice across pages (the upstream changed while paging) is taken once, as its last copy', async () => {
    const users = await collection(upstream, 'users');
    const twice = users.find((u) => u.roles.length > 1 && u.sourcedId < users[10]!.sourcedId)!;
    // The second page carries again a user of the first page, since edited upstream: another name and one role fewer.
    proxy.faults.push(async (req, _res, forward) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (!requestTo('/users')(req) || url.searchParams.get('offset') !== '10') return false;
      await forward((body) => ({ users: [...body.users, { ...twice, givenName: 'Second copy', roles: twice.roles.slice(0, 1) }] }));
      return true;
    });
    const report = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true, upstream: FAST_RETRIES });
    expect(report.error).toBeUndefined();
    expect(report.fetched.users).toBe(users.length);
    const here = (await collection(gateway, 'users')).find((u) => u.sourcedId === twice.sourcedId)!;
    expect(here.givenName).toBe('Second copy');
    expect(here.roles).toEqual(twice.roles.slice(0, 1));

    const again = await syncSource(gateway.db, SOURCES_KEY, 'sis', { full: true, upstream: FAST_RETRIES });
    expect(again.error).toBeUndefined();
    await expectConverged(gateway, upstream);
  });

  it('keeps the page after next in flight while pages come by plain limit/offset, and drops a guess the upstream\'s links contradict', async () => {
    const source = { name: 'sis', baseUrl: proxy.url, version: '1.2' as const, auth: 'oauth2' as const, tokenUrl: `${proxy.url}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, services: ['rostering' as const] };
    const expected = (await collection(upstream, 'users')).map((u) => u.sourcedId);
    expect(expected.length).toBeGreaterThan(25);
    const asked = () => proxy.seen.filter((u) => u.includes('/users?')).map((u) => new URL(u, 'http://x').searchParams)
      .map((q) => `${q.get('offset')}/${q.get('limit')}`);
    const walk = async (pages: AsyncGenerator<{ records: Record<string, unknown>[] }>) => {
      const ids: unknown[] = [];
      for await (const page of pages) ids.push(...page.records.map((r) => r.sourcedId));
      return ids;
    };

    // Two in flight: while the caller still holds the first page, the second and third are asked for.
    proxy.seen.length = 0;
    const pages = new Upstream(source, { ...FAST_RETRIES, pagesInFlight: 2 }).pages('rostering', '/users', 'users');
    const first = await pages.next();
    await vi.waitFor(() => expect(asked()).toEqual(['0/10', '10/10', '20/10']));
    const ids = [...((first.value as { records: Record<string, unknown>[] }).records.map((r) => r.sourcedId)), ...(await walk(pages))];
    expect(ids).toEqual(expected);

    // One in flight: only the next page while the caller holds this one.
    proxy.seen.length = 0;
    const single = new Upstream(source, { ...FAST_RETRIES, pagesInFlight: 1 }).pages('rostering', '/users', 'users');
    await single.next();
    await vi.waitFor(() => expect(asked()).toEqual(['0/10', '10/10']));
    await new Promise((r) => setTimeout(r, 100));
    expect(asked()).toEqual(['0/10', '10/10']);
    await single.return(undefined);

    // The upstream caps the second page at 5 records: its Link then continues at offset 15 with limit 5, the guess
    // at offset 20 goes unused, and every record arrives once.
    proxy.faults.push(async (req, _res, forward) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (!requestTo('/users')(req) || url.searchParams.get('offset') !== '10') return false;
      url.searchParams.set('limit', '5');
      await forward(undefined, { url: url.pathname + url.search });
      return true;
    });
    proxy.seen.length = 0;
    expect(await walk(new Upstream(source, { ...FAST_RETRIES, pagesInFlight: 2 }).pages('rostering', '/users', 'users'))).toEqual(expected);
    expect(asked().slice(0, 4)).toEqual(['0/10', '10/10', '20/10', '15/5']);
    expect(proxy.faults).toHaveLength(0);

    // Once a request ran out of time, one at a time: an upstream that serves requests one after another would
    // make the request in flight wait for the one before it, and time out as well.
    let slowed = false;
    proxy.faults.push(async (req, _res, forward) => {
      if (!requestTo('/users')(req) || slowed) return false;
      slowed = true; // the first attempt only: its retry is answered at once
      await sleep(FAST_RETRIES.timeoutMs + 500);
      await forward();
      return true;
    });
    proxy.seen.length = 0;
    const afterTimeout = new Upstream(source, { ...FAST_RETRIES, pagesInFlight: 2 }).pages('rostering', '/users', 'users');
    const held = await afterTimeout.next();
    await vi.waitFor(() => expect(asked()).toEqual(['0/10', '0/10', '10/10']));
    await sleep(100);
    expect(asked()).toEqual(['0/10', '0/10', '10/10']);
    expect([...(held.value as { records: Record<string, unknown>[] }).records.map((r) => r.sourcedId), ...(await walk(afterTimeout))]).toEqual(expected);
  });

  it('never follows a next link to another origin (a SIS naming its internal host): pages by offset instead, and the token stays here', async () => {
    const elsewhere = await faultProxy(proxy.url); // a second listener: any request reaching it would be the token leaving
    proxy.faults.push(async (req, res, forward) => {
      if (!requestTo('/users')(req)) return false;
      await forward(undefined, { linkOrigin: elsewhere.url });
      return 'keep';
    });
    try {
      const source = { name: 'sis', baseUrl: proxy.url, version: '1.2' as const, auth: 'oauth2' as const, tokenUrl: `${proxy.url}/oauth/token`,
        clientId: credentials.client_id, clientSecret: credentials.client_secret, services: ['rostering' as const] };
      const expected = (await collection(upstream, 'users')).map((u) => u.sourcedId);
      proxy.seen.length = 0;
      const ids: unknown[] = [];
      for await (const page of new Upstream(source, FAST_RETRIES).pages('rostering', '/users', 'users')) ids.push(...page.records.map((r) => r.sourcedId));
      expect(ids).toEqual(expected);
      expect(elsewhere.seen).toEqual([]);
      expect(proxy.seen.filter((u) => u.includes('/users?'))).toHaveLength(Math.ceil(expected.length / 10));
    } finally {
      proxy.faults.length = 0;
      await elsewhere.close();
    }
  });

  it('pages by offset when the upstream sends no Link header, never trusting a silently capped limit', async () => {
    // The proxy caps every page at 3 records whatever limit was asked for, and drops the Link header.
    const capped = async (req: { url?: string }, _res: unknown, forward: Parameters<(typeof proxy.faults)[number]>[2]) => {
      if (!requestTo('/users')(req)) return false;
      const url = new URL(req.url!, 'http://x');
      url.searchParams.set('limit', '3');
      await forward(undefined, { url: url.pathname + url.search, dropHeaders: ['link'] });
      return 'keep' as const;
    };
    proxy.faults.push(capped);
    const usersOf = async (upstreamClient: Upstream) => {
      const ids: unknown[] = [];
      for await (const page of upstreamClient.pages('rostering', '/users', 'users')) ids.push(...page.records.map((r) => r.sourcedId));
      return ids.sort();
    };
    try {
      const source = { name: 'sis', baseUrl: proxy.url, version: '1.2' as const, auth: 'oauth2' as const, tokenUrl: `${proxy.url}/oauth/token`,
        clientId: credentials.client_id, clientSecret: credentials.client_secret, services: ['rostering' as const] };
      const expected = (await collection(upstream, 'users')).map((u) => u.sourcedId);
      expect(await usersOf(new Upstream(source, FAST_RETRIES))).toEqual(expected);
      // With X-Total-Count also gone, paging goes on until an empty page.
      proxy.faults.splice(proxy.faults.indexOf(capped), 1, async (req, res, forward) => {
        if (!requestTo('/users')(req)) return false;
        const url = new URL(req.url!, 'http://x');
        url.searchParams.set('limit', '3');
        await forward(undefined, { url: url.pathname + url.search, dropHeaders: ['link', 'x-total-count'] });
        return 'keep';
      });
      proxy.seen.length = 0;
      expect(await usersOf(new Upstream(source, FAST_RETRIES))).toEqual(expected);
      expect(proxy.seen.filter((u) => u.includes('/users?'))).toHaveLength(Math.ceil(expected.length / 3) + 1);
    } finally {
      proxy.faults.length = 0;
    }
  });

  it('asks for pages of the source\'s --page-size, checked when given, changed by sources update for the next run', async () => {
    const input = { name: 'paged', baseUrl: proxy.url, version: '1.2', auth: 'oauth2', tokenUrl: `${proxy.url}/oauth/token`,
      clientId: credentials.client_id, clientSecret: credentials.client_secret, services: 'rostering,resources' };
    for (const bad of ['0', '10001', '5.5', 'ten', '']) {
      expect(() => checkSourceInput({ ...input, pageSize: bad }), bad).toThrow('--page-size must be a whole number from 1 to 10000');
    }
    const em = gateway.db.orm.em.fork();
    await addSource(em, SOURCES_KEY, { ...input, prefix: 'p-', pageSize: '9' });
    expect((await listSources(em)).find((s) => s.name === 'paged')?.pageSize).toBe(9);
    expect((await listSources(em)).find((s) => s.name === 'sis')?.pageSize).toBe(DEFAULT_PAGE_SIZE);
    const limits = () => new Set(proxy.seen.filter((u) => u.startsWith('/ims/')).map((u) => new URL(u, 'http://x').searchParams.get('limit')));
    try {
      proxy.seen.length = 0;
      expect((await syncSource(gateway.db, SOURCES_KEY, 'paged')).ok).toBe(true);
      expect(limits()).toEqual(new Set(['9']));
      await updateSource(em, undefined, 'paged', { pageSize: '4' });
      proxy.seen.length = 0;
      const report = await syncSource(gateway.db, SOURCES_KEY, 'paged', { full: true });
      expect(report).toMatchObject({ ok: true, changed: 0, deleted: 0 });
      expect(limits()).toEqual(new Set(['4']));
      await expect(updateSource(em, undefined, 'nope', { pageSize: '4' })).rejects.toThrow('no source nope');
      await expect(updateSource(em, undefined, 'paged', { pageSize: '0' })).rejects.toThrow('--page-size must be');
    } finally {
      await removeSource(em, 'paged');
    }
  });
});
