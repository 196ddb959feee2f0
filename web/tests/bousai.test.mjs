// 防災モード (/?mode=bousai): nearest shelters for the chosen hazard from the phone's location,
// in LINE's in-app browser, with location refused (district, address, 地番), offline after a
// first visit (service worker), link-preview tags, a small bundle without MapLibre, and axe.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VIEWPORTS, axe, newPage, screenshot, start } from './harness.mjs';

/** LINE's in-app browser on Android (its user agent ends with `Line/<version>`). */
export const LINE_UA =
  'Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36 Line/13.20.0';
/** Near 鹿島市役所. */
const HERE = { latitude: 33.1031, longitude: 130.0987 };

let env;
let shelters;
before(async () => {
  env = await start();
  shelters = (await (await fetch(`${env.base}/ogc/collections/shelters/items?limit=1000`)).json()).features;
});
after(async () => env?.stop());

function metres(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const s = Math.sin(rad(b[1] - a[1]) / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(rad(b[0] - a[0]) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(s));
}

/** The names of the k shelters for `field` nearest to `at`, computed here independently. */
function expected(at, field, k = 5) {
  return shelters
    .filter((f) => f.properties[field] === true)
    .map((f) => [metres(at, f.geometry.coordinates), f.properties['名称']])
    .sort((a, b) => a[0] - b[0])
    .slice(0, k)
    .map((x) => x[1]);
}

async function listed(page) {
  await page.waitForSelector('.results .shelter');
  return page.locator('.results .shelter-name').allTextContents();
}

const strip = (names) => names.map((n) => n.replace(/^\d+\.\s*/, ''));

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`with location granted (${size}), the nearest flood shelters are listed first, without MapLibre`, async () => {
    const page = await newPage(env, { viewport, geolocation: HERE, permissions: ['geolocation'] });
    await page.goto(`${env.base}/?mode=bousai&hazard=flood`);
    const names = strip(await listed(page));
    assert.deepEqual(names, expected([HERE.longitude, HERE.latitude], '洪水'));
    const first = page.locator('.results .shelter').first();
    assert.match(await first.locator('.shelter-distance').textContent(), /約.*m.*徒歩 約\d+分/);
    const route = await first.locator('a.route-link').getAttribute('href');
    assert.match(route, /travelmode=walking/);
    assert.match(route, /origin=33\.1031%2C130\.0987/);
    assert.equal(await page.locator('.hazard-switch [aria-pressed="true"]').textContent(), '洪水');
    // no map library on this page, and nothing left the machine
    assert.deepEqual(page.requests.filter((u) => /maplibre|print-form|\/tiles\//.test(u)), []);
    assert.deepEqual(page.offsite, []);
    assert.deepEqual(page.consoleErrors, []);
    await screenshot(page, `bousai-${size}-granted`);
    assert.deepEqual(await axe(page), []);
    await page.context().close();
  });
}

test('switching the hazard lists the shelters for it and keeps it in the URL', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone, geolocation: HERE, permissions: ['geolocation'] });
  await page.goto(`${env.base}/?mode=bousai&hazard=flood`);
  await listed(page);
  await page.click('.hazard-switch button:has-text("津波")');
  await page.waitForFunction(() => /津波/.test(document.querySelector('#results-heading')?.textContent));
  assert.deepEqual(strip(await listed(page)), expected([HERE.longitude, HERE.latitude], '津波'));
  assert.match(page.url(), /hazard=tsunami/);
  await page.context().close();
});

test("in LINE's in-app browser, with location refused, a district or an address still gives the list", async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone, userAgent: LINE_UA, isMobile: true, hasTouch: true });
  await page.goto(`${env.base}/?mode=bousai&hazard=dosha`);
  await page.locator('.results .error').waitFor();
  assert.match(await page.locator('.results .error').textContent(), /位置情報が使えません/);
  await screenshot(page, 'bousai-line-refused');
  // a district (大字) from the list
  const options = await page.locator('#district option').allTextContents();
  assert.ok(options.length > 5, options.join());
  await page.selectOption('#district', { label: '古枝' });
  const names = strip(await listed(page));
  assert.equal(names.length, 5);
  assert.match(await page.locator('#results-heading').textContent(), /「古枝」から近い避難所（土砂災害）/);
  for (const n of names) assert.equal(shelters.find((f) => f.properties['名称'] === n).properties['土砂災害'], true, n);
  // an address typed in
  await page.fill('#place-query', '鹿島市役所');
  await page.click('.place-form button[type="submit"]');
  await page.waitForFunction(() => /鹿島市役所/.test(document.querySelector('#results-heading')?.textContent ?? ''));
  await listed(page);
  await screenshot(page, 'bousai-line-address');
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('after a first visit, 防災モード opens offline from the device and says the data is a copy', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone, geolocation: HERE, permissions: ['geolocation'], serviceWorkers: 'allow' });
  await page.goto(`${env.base}/?mode=bousai&hazard=flood`);
  await listed(page);
  // the worker is installed and has kept the page and the shelter list
  await page.waitForFunction(async () => {
    const reg = await navigator.serviceWorker.ready;
    if (!reg.active) return false;
    const keys = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) keys.push(r.url);
    return keys.some((u) => u.includes('mode=bousai')) && keys.some((u) => u.includes('/collections/shelters/items'));
  }, null, { timeout: 30_000 });
  await page.context().setOffline(true);
  await page.reload();
  const names = strip(await listed(page));
  assert.deepEqual(names, expected([HERE.longitude, HERE.latitude], '洪水'));
  const notice = page.locator('.copy-notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /端末に保存したデータ（.*(たった今|分前)）/);
  await screenshot(page, 'bousai-offline');
  await page.context().close();
});

test('the page carries link-preview (Open Graph) tags and its image is served', async () => {
  const html = await (await fetch(`${env.base}/?mode=bousai`)).text();
  const og = Object.fromEntries([...html.matchAll(/<meta property="(og:[a-z:]+)" content="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  assert.match(og['og:title'], /防災モード/);
  assert.ok(og['og:description'].length > 10);
  const img = await fetch(`${env.base}${og['og:image']}`);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await img.arrayBuffer());
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1200, 630]);
});
