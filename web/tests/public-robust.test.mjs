// The public map on a bad network: Japanese messages for lost connection, failed requests and
// tiles; data layers stay on the map when the GSI basemap cannot be reached.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VIEWPORTS, newPage, openMap, screenshot, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

test('the basemap failing leaves the data layers drawn, with a banner', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  // no ?basemap=none: the GSI tiles are requested, and fail as on a dead network (MapLibre
  // takes a 404 for "no tile here" and says nothing)
  const gsi = [];
  await page.route('https://cyberjapandata.gsi.go.jp/**', (r) => {
    gsi.push(r.request().url());
    return r.abort('internetdisconnected');
  });
  await page.goto(`${env.base}/#15/33.1031/130.0987`);
  await page.waitForFunction(() => window.kashimapMap?.loaded() && window.kashimapMap.areTilesLoaded(), null, {
    timeout: 30_000,
  });
  await ready(page);
  assert.ok(gsi.length > 0);
  assert.deepEqual(page.offsite, []);
  const banner = page.locator('.km-banner[data-key="basemap"]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /背景地図（地理院タイル）を読み込めません/);
  const drawn = await page.evaluate(() => window.kashimapMap.queryRenderedFeatures().filter((f) => f.source === 'zoning').length);
  assert.ok(drawn > 0);
  // the attribution names 地理院タイル with a link to the GSI list of tiles
  const gsiLink = await page.locator('.maplibregl-ctrl-attrib a', { hasText: '地理院タイル' }).getAttribute('href');
  assert.equal(gsiLink, 'https://maps.gsi.go.jp/development/ichiran.html');
  await screenshot(page, 'public-phone-basemap-failed');
  await banner.locator('button').click();
  assert.equal(await banner.count(), 0);
  await page.context().close();
});

test('basemap switch replaces the raster tiles (pale, std, photo)', async () => {
  const page = await newPage(env);
  await page.goto(`${env.base}/#15/33.1031/130.0987`);
  await ready(page);
  const b = page.locator('.toolbar [data-pane="layers"]');
  if ((await b.getAttribute('aria-expanded')) !== 'true') await b.click();
  await page.check('input[name="basemap"][value="photo"]');
  const tiles = await page.evaluate(() => window.kashimapMap.getSource('gsi').tiles[0]);
  assert.equal(tiles, 'https://cyberjapandata.gsi.go.jp/xyz/seamlessphoto/{z}/{x}/{y}.jpg');
  await page.context().close();
});

test('offline and failed requests give clear Japanese messages', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openMap(env, page, '/', '#15/33.1031/130.0987');
  await ready(page);
  await page.context().setOffline(true);
  const offline = page.locator('.km-banner[data-key="offline"]');
  await offline.waitFor();
  assert.match(await offline.innerText(), /インターネットに接続されていません/);
  const box = await page.locator('.map-area canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 3);
  const err = page.locator('#place-pane .error');
  await err.waitFor();
  assert.match(await err.innerText(), /インターネットに接続されていません/);
  await page.context().setOffline(false);
  await offline.waitFor({ state: 'detached' });
  // a server error on /api/at
  await page.route('**/api/at?**', (r) => r.fulfill({ status: 503, body: '' }));
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 4);
  await page.waitForFunction(() => /サーバーでエラーが起きました（503）/.test(document.querySelector('#place-pane .error')?.textContent));
  await screenshot(page, 'public-phone-error');
  await page.context().close();
});

test('a layer whose tiles fail is named in a banner; the rest stays', async () => {
  const page = await newPage(env);
  await page.route('**/tiles/roads/**', (r) => r.fulfill({ status: 500, body: '' }));
  await openMap(env, page, '/', '#15/33.1031/130.0987');
  await ready(page);
  const banner = page.locator('.km-banner[data-key="source:roads"]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /「道路台帳」を読み込めませんでした/);
  const drawn = await page.evaluate(() => window.kashimapMap.queryRenderedFeatures().filter((f) => f.source === 'shelters').length);
  assert.ok(drawn > 0);
  await page.context().close();
});

test('empty layers break nothing: no tiles, no shelters', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await page.route('**/tiles/heritage/**', (r) => r.fulfill({ status: 204, body: '' }));
  await page.route('**/ogc/collections/shelters/items?**', (r) =>
    r.fulfill({
      status: 200,
      contentType: 'application/geo+json',
      body: JSON.stringify({ type: 'FeatureCollection', features: [], numberReturned: 0 }),
    }),
  );
  await openMap(env, page, '/', '#15/33.1031/130.0987');
  await ready(page);
  await page.locator('.toolbar [data-pane="shelters"]').click();
  await page.waitForFunction(() => /0か所/.test(document.querySelector('#shelters-pane')?.textContent));
  await page.locator('.toolbar [data-pane="layers"]').click();
  await page.locator('#layers-pane input[data-layer="heritage"]').waitFor();
  assert.equal(await page.locator('.km-banner').count(), 0);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
