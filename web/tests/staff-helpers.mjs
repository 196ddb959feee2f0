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
