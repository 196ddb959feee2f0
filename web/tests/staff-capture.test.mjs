// 「記録を追加」 on a phone (360×640): a leak record with a photo at the current location,
// once online and once without signal (kept in IndexedDB, sent when the network returns);
// each then on the map and in its history.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VIEWPORTS, mapIdle, screenshot, start } from './harness.mjs';
import { apiCookie, getJson, openStaff, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

/** 祐徳稲荷神社, inside the city. */
const HERE = { longitude: 130.108483, latitude: 33.074408 };
/** A 2×2 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

async function addRecord(page, note) {
  await page.locator('#capture-here').click();
  await page.getByLabel('漏水有無').selectOption('有');
  await page.getByLabel('備考').fill(note);
  await page.locator('#capture-photos').setInputFiles({ name: 'leak.jpg', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: '保存' }).click();
}

async function record(cookie, note) {
  const q = new URLSearchParams({ 備考: note, limit: '5' });
  const items = await getJson(env, cookie, `/ogc/collections/leaks/items?${q}`);
  return items.features[0];
}

/**
 * The record with this note once the server's queries find it: an edit is answered when it
 * is logged, and reaches searches a moment later (docs/edits.md), so poll for up to 30 s.
 */
async function recordFound(cookie, note) {
  const until = Date.now() + 30_000;
  for (;;) {
    const found = await record(cookie, note);
    if (found || Date.now() > until) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the map draws a leak with this note. */
async function onMap(page, note) {
  await page.evaluate(({ longitude, latitude }) => window.kashimapMap.jumpTo({ center: [longitude, latitude], zoom: 17 }), HERE);
  await page
    .waitForFunction(
      (n) => window.kashimapMap.querySourceFeatures('leaks', { sourceLayer: 'leaks' }).some((f) => f.properties['備考'] === n),
      note,
      { timeout: 30_000 },
    )
    .catch(async (e) => {
      const info = await page.evaluate(() => ({
        tiles: window.kashimapMap.getSource('leaks').tiles,
        notes: window.kashimapMap.querySourceFeatures('leaks', { sourceLayer: 'leaks' }).map((f) => f.properties['備考']),
      }));
      console.log(JSON.stringify(info), page.requests.filter((u) => u.includes('leaks')).slice(-8));
      throw e;
    });
}

test('a surveyor adds a leak record with a photo on a phone, online and then offline', async () => {
  const cookie = await apiCookie(env, 'suido');
  const page = await openStaff(env, { viewport: VIEWPORTS.phone, geolocation: HERE, permissions: ['geolocation'] });
  await signIn(page, 'suido');
  await page.locator('#panel-capture').waitFor({ timeout: 30_000 });

  await addRecord(page, 'ブラウザ記録（オンライン）');
  await page.locator('#capture-status', { hasText: '保存しました' }).waitFor({ timeout: 30_000 });
  const online = await recordFound(cookie, 'ブラウザ記録（オンライン）');
  assert.ok(online, 'the record is on the server');
  assert.equal(online.properties['調査者'], 'suido');
  assert.equal(online.properties['写真'].length, 1, 'with its photo');
  assert.deepEqual(online.geometry.coordinates.map((c) => c.toFixed(5)), ['130.10848', '33.07441']);
  const photo = await fetch(`${env.base}/ogc/collections/leaks/photos/${online.properties['写真'][0]}`, { headers: { Cookie: cookie } });
  assert.equal(photo.status, 200);
  assert.equal(photo.headers.get('content-type'), 'image/jpeg');
  await onMap(page, 'ブラウザ記録（オンライン）');

  await page.locator('#capture-history').click();
  await page.locator('ol.history li', { hasText: '作成' }).waitFor();
  await screenshot(page, 'staff-capture-online-phone');

  // No signal: the record waits on the device, and goes when the network returns.
  // A few metres away: points at one spot are thinned to one below the layer's top zoom.
  const there = { longitude: HERE.longitude + 0.0004, latitude: HERE.latitude + 0.0003 };
  await page.context().setGeolocation(there);
  await page.context().setOffline(true);
  await addRecord(page, 'ブラウザ記録（オフライン）');
  await page.locator('#capture-queue', { hasText: '送信待ち 1 件' }).waitFor({ timeout: 30_000 });
  assert.equal(await record(cookie, 'ブラウザ記録（オフライン）'), undefined, 'nothing reached the server');
  await page.context().setOffline(false);
  await page.locator('#capture-status', { hasText: '送信しました' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#capture-queue').textContent(), '');
  const sent = await recordFound(cookie, 'ブラウザ記録（オフライン）');
  assert.ok(sent, 'sent once back online');
  assert.equal(sent.properties['写真'].length, 1);
  await onMap(page, 'ブラウザ記録（オフライン）');
  const history = await getJson(env, cookie, `/ogc/collections/leaks/items/${sent.id}/history`);
  assert.deepEqual(history.versions.map((v) => v.op), ['create']);
  assert.equal(history.versions[0].by, 'suido');
  assert.deepEqual(page.offsite, []);
});

/** PATCH a record through the API (another person changing it meanwhile). */
async function patchAs(cookie, id, etag, properties) {
  const res = await fetch(`${env.base}/ogc/collections/leaks/items/${id}`, {
    method: 'PATCH',
    headers: { Cookie: cookie, Origin: env.base, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag },
    body: JSON.stringify({ properties }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Clicks the map at a lon/lat once the map is still there. */
async function clickAt(page, lonlat, zoom) {
  await page.evaluate(({ c, z }) => window.kashimapMap.jumpTo({ center: c, zoom: z }), { c: lonlat, z: zoom });
  await mapIdle(page);
  const canvas = page.locator('.maplibregl-canvas').first();
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  const p = await page.evaluate((c) => window.kashimapMap.project(c), lonlat);
  await page.mouse.click(box.x + p.x, box.y + p.y);
}

test('a record shows its main, a main lists its records, and a 412 offers both versions', async () => {
  const cookie = await apiCookie(env, 'suido');
  // A sample leak record and the main its 管路番号 names.
  const leaks = await getJson(env, cookie, '/ogc/collections/leaks/items?limit=1');
  const leak = leaks.features[0];
  const number = leak.properties['管路番号'];
  const q = new URLSearchParams({ 管路番号: number });
  const main = (await getJson(env, cookie, `/ogc/collections/pipes/items?${q}`)).features[0];
  assert.ok(main, `the main ${number} exists`);
  const onMain = (await getJson(env, cookie, `/ogc/collections/leaks/items?${q}&limit=50`)).features;

  const page = await openStaff(env, { viewport: VIEWPORTS.phone });
  await signIn(page, 'suido');
  await page.locator('#panel-capture').waitFor({ timeout: 30_000 });

  // Picking the record highlights its main.
  await clickAt(page, leak.geometry.coordinates, 18);
  await page.locator('#capture-status', { hasText: `記録 ${leak.id} を選択しました` }).waitFor({ timeout: 30_000 });
  await page.locator('#capture-links', { hasText: `管路番号「${number}」を地図に強調表示しました` }).waitFor({ timeout: 30_000 });
  const linked = await page.evaluate(() => window.kashimapMap.getSource('km-link').serialize().data.features.map((f) => f.geometry.type));
  assert.deepEqual(linked, ['Point', main.geometry.type], 'the record and its main');
  await page.locator('#panel-capture').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-capture-record-main-phone');

  // Picking the main (a point of it away from its records) lists its records.
  const spot = await page.evaluate(
    ({ line, records }) => {
      const map = window.kashimapMap;
      const coords = line.type === 'MultiLineString' ? line.coordinates.flat() : line.coordinates;
      let best = null;
      for (let i = 0; i + 1 < coords.length; i++) {
        const mid = [(coords[i][0] + coords[i + 1][0]) / 2, (coords[i][1] + coords[i + 1][1]) / 2];
        const far = Math.min(...records.map((r) => map.project(r).dist(map.project(mid))));
        if (!best || far > best.far) best = { mid, far };
      }
      return best.mid;
    },
    { line: main.geometry, records: onMain.map((r) => r.geometry.coordinates) },
  );
  await clickAt(page, spot, 18);
  await page.locator('h3', { hasText: `管路番号「${number}」の記録 ${onMain.length} 件` }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('ul.linked-records li').count(), onMain.length);
  await page.locator('#panel-capture').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-capture-main-records-phone');
  await page.locator('ul.linked-records button', { hasText: `記録 ${leak.id}` }).click();
  await page.locator('#capture-status', { hasText: `記録 ${leak.id} を選択しました` }).waitFor();

  // Editing while someone else changes the record: the 412 shows both versions.
  await page.getByRole('button', { name: 'この記録を編集' }).click();
  await page.getByLabel('備考').waitFor();
  const current = await fetch(`${env.base}/ogc/collections/leaks/items/${leak.id}`, { headers: { Cookie: cookie } });
  await patchAs(cookie, leak.id, current.headers.get('etag'), { 備考: '事務所で変更' });
  await page.getByLabel('備考').fill('現地で変更');
  await page.getByRole('button', { name: '保存' }).click();
  await page.locator('#capture-status', { hasText: '他の人がこの記録を変更しました' }).waitFor({ timeout: 30_000 });
  const row = page.locator('table.conflict tr', { hasText: '備考' });
  assert.equal(await row.locator('td').nth(0).textContent(), '現地で変更');
  assert.equal(await row.locator('td').nth(1).textContent(), '事務所で変更');
  await page.locator('#panel-capture').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-capture-conflict-phone');
  await page.getByRole('button', { name: 'あなたの入力で上書き' }).click();
  await page.locator('#capture-status', { hasText: `保存しました（記録 ${leak.id}）` }).waitFor({ timeout: 30_000 });
  const now = await getJson(env, cookie, `/ogc/collections/leaks/items/${leak.id}`);
  assert.equal(now.properties['備考'], '現地で変更');
  const history = await getJson(env, cookie, `/ogc/collections/leaks/items/${leak.id}/history`);
  assert.deepEqual(history.versions.map((v) => v.op), ['update', 'update']);
  assert.deepEqual(page.offsite, []);
});
