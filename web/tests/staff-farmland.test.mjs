// 農地パトロール on a phone (360×640): a point tapped inside a parcel gets its 地番; a field
// drawn with four taps is saved as that Polygon with a photo, drawn on the map and picked for
// editing; 「筆の形を使う」 takes the parcel's own polygon and 地番 (and says where there is no
// parcel); a field drawn by keyboard without signal is sent when the network returns.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { contains } from '../src/staff/sketch.js';
import { VIEWPORTS, axe, screenshot, start } from './harness.mjs';
import { addUser, apiCookie, centreMap, eventually, getJson, openStaff, signIn, tapMap } from './staff-helpers.mjs';

let env;
let cookie;
before(async () => {
  env = await start();
  addUser(env, 'nouchi', ['nougyou'], { department: '農業委員会' });
  cookie = await apiCookie(env, 'nouchi');
});
after(async () => env?.stop());

/** 祐徳稲荷神社, inside the city. */
const HERE = [130.108483, 33.074408];
/** A 2×2 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

/** The farmland record with this 備考 on the server (as nouchi), or undefined. */
async function record(note) {
  const q = new URLSearchParams({ 備考: note, limit: '5' });
  return (await getJson(env, cookie, `/ogc/collections/farmland/items?${q}`)).features[0];
}

/** The record once the server's searches find it (a moment after its 201). */
const saved = (note) => eventually(() => record(note));

/** The staff view at 360×640, signed in as the 農業委員会, with 農地パトロール chosen. */
async function farmlandPage(opts = {}) {
  const page = await openStaff(env, { viewport: VIEWPORTS.phone, ...opts });
  await signIn(page, 'nouchi');
  await page.locator('#panel-capture').waitFor({ timeout: 30_000 });
  await page.locator('#capture-layer').selectOption('farmland');
  return page;
}

/** Draws a field by tapping `corners` (lon/lat) and 「完了」; resolves to the corners tapped. */
async function drawField(page, corners) {
  await page.locator('#capture-draw').click();
  await page.locator('#capture-status', { hasText: 'あと 3 点以上必要です' }).waitFor();
  assert.equal(await page.locator('#sketch-done').isDisabled(), true, '「完了」 waits for 3 corners');
  const tapped = [];
  for (const c of corners) tapped.push(await tapMap(page, c));
  await page.locator('#capture-status', { hasText: `（${corners.length} 点）` }).waitFor();
  return tapped;
}

/** Fills the form (状況, 備考, a photo) and saves. */
async function fillAndSave(page, state, note) {
  await page.getByLabel('状況').selectOption(state);
  await page.getByLabel('備考').fill(note);
  await page.locator('#capture-photos').setInputFiles({ name: 'field.jpg', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: '保存' }).click();
}

/** Fills the form and saves with signal; resolves to the record as the server has it. */
async function saveOnline(page, state, note) {
  await fillAndSave(page, state, note);
  await page.locator('#capture-status', { hasText: '保存しました' }).waitFor({ timeout: 30_000 });
  const got = await saved(note);
  assert.ok(got, `「${note}」 is on the server`);
  return got;
}

/** Every corner of `expected` is a corner of the closed ring, to ~5 decimals (1e-5°, about 1 m). */
function assertCorners(ring, expected) {
  assert.equal(ring.length, expected.length + 1, 'the corners, and the first again');
  assert.deepEqual(ring[0], ring.at(-1), 'the ring is closed');
  for (const [x, y] of expected) {
    assert.ok(
      ring.some(([rx, ry]) => Math.abs(rx - x) < 1e-5 && Math.abs(ry - y) < 1e-5),
      `corner ${x},${y} in ${JSON.stringify(ring)}`,
    );
  }
}

/** Waits until the map has drawn a farmland polygon with this 備考 (its style's own layers). */
async function drawnOnMap(page, note, at) {
  await centreMap(page, at, 18);
  await page.waitForFunction(
    (n) => {
      const map = window.kashimapMap;
      const layers = map.getStyle().layers.filter((l) => l.source === 'farmland').map((l) => l.id);
      return map.queryRenderedFeatures({ layers }).some((f) => f.properties['備考'] === n && f.geometry.type === 'Polygon');
    },
    note,
    { timeout: 30_000 },
  );
  await page.evaluate(() => window.kashimapMap.getContainer().scrollIntoView({ block: 'start' }));
}

const mean = (ring) => [0, 1].map((k) => ring.slice(0, -1).reduce((s, c) => s + c[k], 0) / (ring.length - 1));

test('a field drawn with four taps is saved as that polygon with a photo, drawn on the map, and opens for editing', async () => {
  const page = await farmlandPage();
  // About 15 m each way: the corners stay clear of the map's controls at 360×640.
  const d = 0.00015;
  const corners = [
    [HERE[0] - d, HERE[1] - d],
    [HERE[0] + d, HERE[1] - d],
    [HERE[0] + d, HERE[1] + d * 0.8],
    [HERE[0] - d, HERE[1] + d],
  ];
  await centreMap(page, HERE, 18);
  const tapped = await drawField(page, corners.slice(0, 3));
  // A wrong corner, taken back with 「1つ戻す」.
  await tapMap(page, [HERE[0], HERE[1] + d * 0.2]);
  await page.locator('#capture-status', { hasText: '（4 点）' }).waitFor();
  await page.locator('#sketch-undo').click();
  await page.locator('#capture-status', { hasText: '（3 点）' }).waitFor();
  tapped.push(await tapMap(page, corners[3]));
  await page.locator('#capture-status', { hasText: '（4 点）' }).waitFor();
  const sketch = await page.evaluate(() => window.kashimapMap.getSource('km-sketch').serialize().data.features.map((f) => f.geometry.type));
  assert.deepEqual(sketch, ['Polygon', 'Point', 'Point', 'Point', 'Point'], 'the outline and the corners, live');
  await screenshot(page, 'staff-farmland-draw-phone');
  assert.deepEqual(await axe(page), [], 'drawing a field');

  await page.locator('#sketch-done').click();
  await page.locator('#capture-status', { hasText: '区画（角 4 点）を記録の形にしました' }).waitFor();
  await page.getByLabel('状況').waitFor();
  await screenshot(page, 'staff-farmland-form-phone');
  const field = await saveOnline(page, '遊休農地', '区画を描いた記録');
  assert.equal(field.geometry.type, 'Polygon');
  assertCorners(field.geometry.coordinates[0], tapped);
  assertCorners(field.geometry.coordinates[0], corners);
  assert.equal(field.properties['状況'], '遊休農地');
  assert.equal(field.properties['調査者'], 'nouchi');
  assert.equal(field.properties['写真'].length, 1, 'with its photo');

  await drawnOnMap(page, '区画を描いた記録', HERE);
  await screenshot(page, 'staff-farmland-saved-phone');

  // Picking the drawn field opens it for editing as any record.
  await page.locator('#capture-history').waitFor();
  await tapMap(page, mean(field.geometry.coordinates[0]));
  await page.locator('#capture-status', { hasText: `記録 ${field.id} を選択しました` }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'この記録を編集' }).click();
  await page.getByLabel('備考').waitFor();
  assert.equal(await page.getByLabel('状況').inputValue(), '遊休農地');
  await page.getByLabel('状況').selectOption('耕作放棄地');
  await page.getByRole('button', { name: '保存' }).click();
  await page.locator('#capture-status', { hasText: `保存しました（記録 ${field.id}）` }).waitFor({ timeout: 30_000 });
  const edited = await eventually(async () => {
    const now = await getJson(env, cookie, `/ogc/collections/farmland/items/${field.id}`);
    return now.properties['状況'] === '耕作放棄地' && now;
  });
  assert.ok(edited, 'the edit reached the server');
  assert.deepEqual(edited.geometry, field.geometry, 'the shape stays');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

/** A parcel near the shrine and its mean point (checked to be inside it). */
async function parcelNearHere() {
  const e = 0.003;
  const bbox = [HERE[0] - e, HERE[1] - e, HERE[0] + e, HERE[1] + e].join(',');
  const parcels = (await getJson(env, cookie, `/ogc/collections/chiban/items?bbox=${bbox}&limit=50`)).features;
  const found = parcels.filter((p) => p.geometry.type === 'Polygon').map((p) => ({ p, at: mean(p.geometry.coordinates[0]) })).find((x) => contains(x.p.geometry, x.at));
  assert.ok(found, 'a parcel with its mean point inside');
  return found;
}

test('a farmland point tapped inside a parcel gets the parcel’s 地番 and is saved as a point', async () => {
  const { p: parcel, at } = await parcelNearHere();
  const page = await farmlandPage();
  await centreMap(page, at, 19);
  await page.locator('#capture-tap').click();
  const tapped = await tapMap(page, at);
  await page.waitForFunction((v) => document.querySelector('#cap-地番')?.value === v, parcel.properties['地番'], { timeout: 30_000 });
  await page.locator('#panel-capture').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-farmland-point-chiban-phone');
  const point = await saveOnline(page, '耕作中', 'タップした点の記録');
  assert.equal(point.geometry.type, 'Point');
  assert.deepEqual(point.geometry.coordinates.map((c) => c.toFixed(5)), tapped.map((c) => c.toFixed(5)));
  assert.equal(point.properties['地番'], parcel.properties['地番']);
  assert.deepEqual(page.offsite, []);
  await page.context().close();
});

test('「筆の形を使う」 takes the parcel’s own polygon and 地番, and says when there is no parcel', async () => {
  const { p: parcel, at } = await parcelNearHere();
  const page = await farmlandPage({ geolocation: { longitude: at[0], latitude: at[1] }, permissions: ['geolocation'] });

  // Beyond the lot map (east of the city, over the sea) there is no parcel.
  const sea = [130.17, 33.0744];
  await centreMap(page, sea, 17);
  await page.locator('#capture-parcel').click();
  await page.locator('#capture-status', { hasText: '形を使う筆を地図上でタップするか' }).waitFor();
  await tapMap(page, sea);
  await page.locator('#capture-status', { hasText: 'この場所に筆はありません' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'staff-farmland-no-parcel-phone');

  // The parcel at the current location.
  await centreMap(page, at, 18);
  await page.locator('#parcel-here').click();
  await page.locator('#capture-status', { hasText: `筆「${parcel.properties['地番']}」の形を記録の形にしました` }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#cap-地番').inputValue(), parcel.properties['地番']);
  await screenshot(page, 'staff-farmland-parcel-phone');
  const field = await saveOnline(page, '耕作中', '筆の形の記録');
  assert.deepEqual(field.geometry, parcel.geometry, 'exactly the parcel’s polygon');
  assert.equal(field.properties['地番'], parcel.properties['地番']);
  assert.equal(field.properties['状況'], '耕作中');
  assert.equal(field.properties['調査者'], 'nouchi');
  await drawnOnMap(page, '筆の形の記録', at);
  assert.deepEqual(page.offsite, []);
  await page.context().close();
});

test('a field drawn without signal, by keyboard alone, waits on the device and is sent when the network returns', async () => {
  const page = await farmlandPage();
  const at = [HERE[0] + 0.002, HERE[1] - 0.0015];
  const d = 0.00025;
  const corners = [
    [at[0] - d, at[1] - d],
    [at[0] + d, at[1] - d],
    [at[0], at[1] + d],
  ];
  await centreMap(page, at, 18);
  await page.context().setOffline(true);
  // Keyboard only: 「区画を描く」, then the map's centre added as each corner (the map moved
  // between them as its arrow keys would), then 「完了」.
  await page.locator('#capture-draw').focus();
  await page.keyboard.press('Enter');
  await page.locator('#capture-status', { hasText: 'あと 3 点以上必要です' }).waitFor();
  const focus = await page.evaluate(() => ({ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.deepEqual(focus, { id: 'sketch-center', outline: 'solid' }, 'the focus moves to the toolbar, visibly');
  for (const [i, c] of corners.entries()) {
    await page.evaluate((x) => window.kashimapMap.jumpTo({ center: x }), c);
    await page.keyboard.press('Enter');
    await page.locator('#capture-status', { hasText: `（${i + 1} 点）` }).waitFor();
  }
  await screenshot(page, 'staff-farmland-keyboard-phone');
  // The tiles that failed as the map moved are not a banner each: the offline one says it.
  assert.deepEqual(await page.locator('.km-banner').evaluateAll((els) => els.map((e) => e.dataset.key)), ['offline']);
  await page.locator('#sketch-done').focus();
  await page.keyboard.press('Enter');
  await page.locator('#capture-status', { hasText: '区画（角 3 点）を記録の形にしました' }).waitFor();
  await fillAndSave(page, '耕作放棄地', '電波のない区画');
  await page.locator('#capture-queue', { hasText: '送信待ち 1 件' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'staff-farmland-offline-phone');
  assert.equal(await record('電波のない区画'), undefined, 'nothing reached the server');
  await page.context().setOffline(false);
  await page.locator('#capture-status', { hasText: '送信しました' }).waitFor({ timeout: 30_000 });
  const sent = await saved('電波のない区画');
  assert.ok(sent, 'sent once back online');
  assert.equal(sent.geometry.type, 'Polygon');
  assertCorners(sent.geometry.coordinates[0], corners);
  assert.ok(sent.properties['地番'], 'the 地番 the phone could not ask for offline, filled by the server (fill = "link")');
  assert.equal(sent.properties['写真'].length, 1);
  assert.equal(sent.properties['調査者'], 'nouchi');
  await drawnOnMap(page, '電波のない区画', at);
  await screenshot(page, 'staff-farmland-sent-phone');
  assert.deepEqual(page.offsite, []);
  await page.context().close();
});
