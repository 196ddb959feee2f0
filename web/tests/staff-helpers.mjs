// Helpers for the staff-view browser tests (web/tests/staff*.test.mjs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PASSWORD, ROOT, mapIdle, newPage, openMap } from './harness.mjs';

/**
 * Add a user to the running test server's database with the CLI (SQLite allows it while the
 * server runs), e.g. a contractor, which the harness does not create.
 */
export function addUser(env, name, roles, { contractor = false, department = '委託業者' } = {}) {
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  const bin = process.env.KASHIMAP_BIN ?? join(target, 'debug', 'kashimap');
  const args = ['--data-dir', env.dataDir, 'user', 'add', name, '--department', department];
  for (const r of roles) args.push('--role', r);
  if (contractor) args.push('--contractor');
  args.push('--password-stdin');
  execFileSync(bin, args, { cwd: ROOT, input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Open /staff (blank basemap) in a fresh page and wait for the map. */
export async function openStaff(env, opts = {}) {
  const page = await newPage(env, opts);
  page.on('dialog', (d) => d.accept());
  await openMap(env, page, '/staff');
  return page;
}

/** Wait until the map has (re)loaded after a page reload, and drawn what it has. */
export async function mapReady(page) {
  await mapIdle(page);
}

/** Sign in through the form; resolves once the page has reloaded as `user`. */
export async function signIn(page, user, password = PASSWORD) {
  await page.getByLabel('ユーザー名').fill(user);
  await page.getByLabel('パスワード').fill(password);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.locator(`[data-user="${user}"]`).waitFor({ timeout: 30_000 });
  await mapReady(page);
}

/** A session cookie for `user`, for direct API calls from the test. */
export async function apiCookie(env, user) {
  const res = await fetch(`${env.base}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: env.base },
    body: JSON.stringify({ username: user, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`login ${user}: ${res.status}`);
  return res.headers.get('set-cookie').split(';')[0];
}

/** GET `path` as the holder of `cookie`, parsed as JSON. */
export async function getJson(env, cookie, path) {
  const res = await fetch(`${env.base}${path}`, { headers: { Cookie: cookie, Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

/** Ids of the features of `layerId` the map has drawn. */
export async function renderedCount(page, layerId) {
  return page.evaluate((id) => {
    const map = window.kashimapMap;
    if (!map.getLayer(id)) return 0;
    return map.queryRenderedFeatures({ layers: [id] }).length;
  }, layerId);
}

/** Centres the map on `lonlat` at `zoom` and waits until it has drawn everything there. */
export async function centreMap(page, lonlat, zoom) {
  await page.evaluate(({ c, z }) => window.kashimapMap.jumpTo({ center: c, zoom: z }), { c: lonlat, z: zoom });
  await mapReady(page);
}

/**
 * Clicks the map where `lonlat` is (on a whole pixel), with the whole map scrolled into view
 * first; resolves to the [lon, lat] of the pixel clicked, which is what the map reports.
 * Throws when something else (a map control, a banner) is on top of that pixel.
 */
export async function tapMap(page, lonlat) {
  const at = await page.evaluate((c) => {
    const map = window.kashimapMap;
    map.getContainer().scrollIntoView({ block: 'nearest' });
    const p = map.project(c);
    const [x, y] = [Math.round(p.x), Math.round(p.y)];
    const box = map.getCanvas().getBoundingClientRect();
    const top = document.elementFromPoint(box.left + x, box.top + y);
    return { x, y, left: box.left, top: box.top, free: top === map.getCanvas() };
  }, lonlat);
  if (!at.free) throw new Error(`the map at ${lonlat} (${at.x}, ${at.y}) is covered`);
  await page.mouse.click(at.left + at.x, at.top + at.y);
  return page.evaluate(({ x, y }) => window.kashimapMap.unproject([x, y]).toArray(), at);
}

/**
 * Polls `fn` (every 200 ms, up to 30 s) until it gives something truthy, and returns that (or
 * the last falsy answer). An edit is answered once logged and reaches reads a moment later
 * (docs/edits.md), so a test reading it back through the API waits like this.
 */
export async function eventually(fn, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const got = await fn();
    if (got || Date.now() > until) return got;
    await new Promise((r) => setTimeout(r, 200));
  }
}
