// A department's new layer without a restart: an administrator defines it in レイヤーの管理,
// uploads its first data in the upload panel, and sees it drawn on the staff map with a
// colour per choice in its legend, and adds a record to it at once (its editors' role given in
// the form); a bad definition is refused with a message naming the key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, newPage, openMap, screenshot, start } from './harness.mjs';
import { apiCookie, getJson, mapReady, renderedCount, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

const square = (x, y, d = 0.002) => [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]];
const FARMLAND = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { 地番: '高津原100', 状況: '耕作中' }, geometry: { type: 'Polygon', coordinates: square(130.095, 33.1) } },
    { type: 'Feature', properties: { 地番: '高津原101', 状況: '遊休農地' }, geometry: { type: 'Polygon', coordinates: square(130.098, 33.1) } },
  ],
});

test('an administrator creates a layer, uploads its first data and sees it on the staff map', async () => {
  const page = await newPage(env);
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.accept();
  });
  await openMap(env, page, '/staff');
  await signIn(page, 'admin');
  const panel = page.locator('#panel-layer-admin');
  await panel.locator('li[data-layer="shelters"]').waitFor();

  // A bad id is refused with the server's message, naming the key; nothing is created.
  const fill = async (id) => {
    await panel.getByLabel(/^レイヤー ID/).fill(id);
    await panel.getByLabel('名前（日本語）').fill('農地台帳');
    await panel.getByLabel('担当課').fill('農業委員会');
    await panel.getByLabel('形状').selectOption('Polygon');
    await panel.getByLabel('見られる人').selectOption('staff');
    await panel.getByLabel(/^データを更新できる役割/).fill('nogyo');
    await panel.getByLabel(/^現地で記録を追加・編集できる役割/).fill('nogyo');
    await panel.getByLabel('項目 1: 項目名').fill('地番');
    await panel.getByLabel('項目 2: 項目名').fill('状況');
    await panel.getByLabel('項目 2: 選択肢').fill('耕作中、遊休農地');
  };
  await fill('Nouchi Daicho');
  await panel.getByRole('button', { name: 'レイヤーを追加' }).click();
  const error = panel.locator('.status.is-error');
  await error.waitFor();
  assert.match(await error.textContent(), /レイヤー定義に誤りがあります: `id`/);

  // Created: the page reloads with the layer in the map, the layer list and the upload panel.
  await fill('nouchi');
  await panel.getByRole('button', { name: 'レイヤーを追加' }).click();
  await page.locator('#panel-layer-admin .status', { hasText: 'レイヤー「農地台帳」（nouchi）を追加しました' }).waitFor({ timeout: 30_000 });
  await mapReady(page);
  await page.locator('#panel-layers li[data-layer="nouchi"]').waitFor();

  // Its first data, through the normal upload flow.
  await page.getByLabel('レイヤー', { exact: true }).selectOption('nouchi');
  await page.getByLabel(/^ファイル/).setInputFiles({ name: 'nouchi.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(FARMLAND) });
  await page.getByRole('button', { name: 'アップロードして検証' }).click();
  await page.locator('#panel-uploads .report.is-accepted').waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'この版を公開' }).click();
  await page.locator('#panel-uploads .status', { hasText: '公開しました' }).waitFor({ timeout: 60_000 });

  // Drawn on the staff map, one colour per choice, and in the legend.
  await page.evaluate(() => window.kashimapMap.jumpTo({ center: [130.0975, 33.101], zoom: 15 }));
  await mapReady(page);
  await page.waitForFunction(() => window.kashimapMap.queryRenderedFeatures({ layers: ['nouchi-fill'] }).length >= 2, null, { timeout: 30_000 });
  assert.ok((await renderedCount(page, 'nouchi-fill')) >= 2);
  const colours = await page.evaluate(() => window.kashimapMap.queryRenderedFeatures({ layers: ['nouchi-fill'] }).map((f) => JSON.stringify(f.layer.paint['fill-color'])));
  assert.equal(new Set(colours).size, 2, `a colour per choice: ${colours}`);
  const item = page.locator('#panel-layers li[data-layer="nouchi"]');
  assert.match(await item.textContent(), /農地台帳/);
  assert.match(await item.textContent(), /遊休農地/, 'the legend lists the choices');
  await screenshot(page, 'staff-layer-created');
  assert.deepEqual(await axe(page), [], 'the layer administration');

  const cookie = await apiCookie(env, 'admin');
  const audit = await getJson(env, cookie, '/api/audit?kind=layer');
  assert.equal(audit.entries[0].detail.action, 'layer.created');
  assert.equal(audit.entries[0].user, 'admin');

  // A record layer at once: a record added one at a time (its edit log opened without a restart).
  const record = { type: 'Feature', properties: { 地番: '高津原102', 状況: '耕作中' }, geometry: { type: 'Polygon', coordinates: square(130.1, 33.1) } };
  const added = await page.evaluate(async (body) => {
    const r = await fetch('/ogc/collections/nouchi/items', { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: JSON.stringify(body) });
    return { status: r.status, text: await r.text() };
  }, record);
  assert.equal(added.status, 201, added.text);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
