// What citizens ask on the public map (issue 13): 地番 search, the hazards at a place in plain
// words with the shelters designated for them, a shareable 「この場所の情報」, and the phone
// defects found with a 70-year-old's eyes at 360×640 (each assertion would have caught one).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, VIEWPORTS, axe, mapIdle, newPage, openMap, openMapWithBasemap, screenshot, start, stubPrint } from './harness.mjs';

let env;
/** A point in a 0.5〜3m flood polygon, and the parcel there. */
let flood;
before(async () => {
  env = await start();
  const polys = (await api('/ogc/collections/flood/items?limit=1000')).features.filter((f) => f.properties['浸水深'] === '0.5〜3m');
  for (const f of polys) {
    const ring = f.geometry.coordinates[0].slice(0, -1);
    const at = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
    const res = await api(`/api/at?lon=${at[0]}&lat=${at[1]}`);
    const hit = res.layers.find((l) => l.id === 'chiban')?.features[0];
    if (res.hazards.flood?.depth_class !== '0.5〜3m' || hit?.id == null) continue;
    // the viewer asks about the middle of the parcel's extent: that must be in the polygon too
    const parcel = await api(`/ogc/collections/chiban/items/${hit.id}`);
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (const p of parcel.geometry.coordinates.flat(2).length ? parcel.geometry.coordinates.flat(parcel.geometry.type === 'Polygon' ? 1 : 2) : []) {
      b[0] = Math.min(b[0], p[0]);
      b[1] = Math.min(b[1], p[1]);
      b[2] = Math.max(b[2], p[0]);
      b[3] = Math.max(b[3], p[1]);
    }
    const mid = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    const there = await api(`/api/at?lon=${mid[0]}&lat=${mid[1]}`);
    if (there.hazards.flood?.depth_class === '0.5〜3m') {
      flood = { at: mid, parcel: parcel.properties, res: there };
      break;
    }
  }
  assert.ok(flood, 'no parcel in a 0.5〜3m flood polygon');
});
after(async () => env?.stop());

async function api(path) {
  const r = await fetch(`${env.base}${path}`);
  assert.equal(r.status, 200, path);
  return r.json();
}

async function openApp(page, hash = '') {
  await openMap(env, page, '/', hash);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

const toFullWidth = (s) => s.replace(/[0-9-]/g, (c) => (c === '-' ? '－' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));

test('each way of typing a 地番 finds its parcel first', async () => {
  const { 大字: oaza, 地番: chiban } = flood.parcel;
  const [main, branch] = chiban.split('-');
  const forms = [`${oaza}${chiban}`, `${oaza}${toFullWidth(chiban)}`];
  if (branch) forms.push(`大字${oaza} ${main}番${branch}`, `${oaza}${main}の${branch}`);
  else forms.push(`大字${oaza} ${main}番`);
  for (const q of forms) {
    const fc = await api(`/api/search?q=${encodeURIComponent(q)}&limit=5`);
    const first = fc.features[0];
    assert.equal(first?.layer, 'chiban', `${q}: ${JSON.stringify(fc.features.map((f) => f.label))}`);
    assert.deepEqual([first.properties['大字'], first.properties['地番']], [oaza, chiban], q);
  }
});

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`picking a 地番 result opens 「この場所の情報」 with the flood depth and flood shelters (${size})`, async () => {
    const page = await newPage(env, { viewport });
    await openApp(page, `#15/${flood.at[1]}/${flood.at[0]}`);
    const q = `${flood.parcel['大字']}${flood.parcel['地番']}`;
    await page.fill('#search-input', q);
    await page.press('#search-input', 'Enter');
    const first = page.locator('#search-pane .result').first();
    await first.waitFor();
    assert.match(await first.locator('.result-meta').textContent(), /地番|字図/);
    await first.click();
    const hz = page.locator('#place-pane .hz[data-hazard="flood"]');
    await hz.waitFor();
    assert.match(await hz.textContent(), /この場所は洪水時に 0\.5〜3m 浸水する想定です/);
    const names = await page.locator('#place-pane ol[data-hazard="flood"] .shelter-name').allTextContents();
    assert.ok(names.length > 0 && names.length <= 3, names.join());
    const expected = flood.res.hazards.flood.shelters.map((f) => f.properties['名称']);
    assert.deepEqual(names.map((n) => n.replace(/^\d+\.\s*/, '')), expected);
    for (const f of flood.res.hazards.flood.shelters) assert.equal(f.properties['洪水'], true);
    // the parcel is named, and the URL shares this place
    assert.match(await page.locator('#place-pane .parcel').textContent(), new RegExp(`${flood.parcel['大字']} ${flood.parcel['地番']}`));
    await page.waitForFunction(() => /&place=/.test(location.hash));
    const shared = page.url();
    await screenshot(page, `citizen-${size}-parcel-flood`);
    assert.deepEqual(await axe(page), []);
    // the shared link opens the same answer
    const other = await newPage(env, { viewport });
    await other.goto(shared);
    await other.locator('#place-pane .hz[data-hazard="flood"]').waitFor();
    assert.match(await other.locator('#place-pane .hz[data-hazard="flood"]').textContent(), /0\.5〜3m/);
    await other.context().close();
    await page.context().close();
  });
}

test('on a phone, a tap puts the answer first and folds the road; no 「古墳・古墳」', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  // a spot on a road inside a heritage site, so the tap catches the road
  const heritage = (await api('/ogc/collections/heritage/items?limit=1000')).features;
  let spot = null;
  for (const f of heritage) {
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const at = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
    const res = await api(`/api/at?lon=${at[0]}&lat=${at[1]}`);
    if (res.layers.find((l) => l.id === 'heritage').features.length) {
      spot = { at, props: res.layers.find((l) => l.id === 'heritage').features[0].properties };
      break;
    }
  }
  assert.ok(spot);
  await openApp(page, `#17/${spot.at[1]}/${spot.at[0]}`);
  const box = await page.locator('.map-area canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.locator('#place-pane .place-section').first().waitFor();
  const order = await page.evaluate(() => [...document.querySelectorAll('#place-pane .place-body > *, #place-pane > *')].map((e) => e.className));
  assert.ok(order.indexOf('place-body') < order.indexOf('place-tapped') || !order.includes('place-tapped'), order.join());
  const tapped = page.locator('#place-pane details.place-tapped');
  if (await tapped.count()) assert.equal(await tapped.getAttribute('open'), null);
  const text = await page.locator('#place-pane').textContent();
  assert.ok(!/古墳・古墳/.test(text), text);
  // the hazard menu sits with the shelters it filters, not between the answers
  const menuInShelters = await page.evaluate(() => Boolean(document.querySelector('#place-pane #place-hazard')?.closest('.place-section')?.querySelector('.shelter-list, p')));
  assert.ok(menuInShelters);
  await screenshot(page, 'citizen-phone-tap-heritage');
  await page.context().close();
});

test('on a phone, 「現在地から探す」 shows me and the nearest shelter together, lists by distance, and prints both at 190 mm', async () => {
  const here = { latitude: 33.1031, longitude: 130.0987 };
  const page = await newPage(env, { viewport: VIEWPORTS.phone, geolocation: here, permissions: ['geolocation'] });
  await stubPrint(page);
  await openApp(page, '#13/33.1031/130.0987');
  await page.click('.toolbar [data-pane="nearby"]');
  await page.click('#nearby-pane button.primary');
  await page.locator('#nearby-pane .shelter').first().waitFor();
  // the list comes with a move to fit me and the nearest shelter: wait for the map to be still
  await mapIdle(page);
  const seen = await page.evaluate(([lon, lat]) => {
    const m = window.kashimapMap;
    const near = document.querySelector('#nearby-pane .shelter');
    const sheet = document.getElementById('panel').getBoundingClientRect();
    const canvas = m.getCanvas().getBoundingClientRect();
    const visible = (p) => {
      const q = m.project(p);
      return q.x >= 0 && q.x <= canvas.width && q.y >= 0 && canvas.top + q.y <= sheet.top;
    };
    return { me: visible([lon, lat]), name: near.querySelector('.shelter-name').textContent };
  }, [here.longitude, here.latitude]);
  assert.ok(seen.me, 'my location is above the sheet');
  const nearest = (await api(`/api/nearest?layer=shelters&lon=${here.longitude}&lat=${here.latitude}&k=1&hazard=洪水`)).features[0];
  const shelterVisible = await page.evaluate(([lon, lat]) => {
    const m = window.kashimapMap;
    const sheet = document.getElementById('panel').getBoundingClientRect();
    const canvas = m.getCanvas().getBoundingClientRect();
    const q = m.project([lon, lat]);
    return q.x >= 0 && q.x <= canvas.width && q.y >= 0 && canvas.top + q.y <= sheet.top;
  }, nearest.geometry.coordinates);
  assert.ok(shelterVisible, 'the nearest shelter is above the sheet');
  await screenshot(page, 'citizen-phone-located');
  // the full list is now sorted by distance, with distances
  await page.click('.toolbar [data-pane="shelters"]');
  await page.locator('#shelters-pane .shelter-distance').first().waitFor();
  const d = await page.locator('#shelters-pane .shelter-distance').allTextContents();
  const metres = d.map((s) => (/([\d.]+) km/.test(s) ? Number(RegExp.$1) * 1000 : /(\d+) m/.test(s) ? Number(RegExp.$1) : 0));
  assert.deepEqual(metres, [...metres].sort((a, b) => a - b));
  // print: paper-shaped (190 mm wide on A4 portrait), with the location and the shelter marked
  await page.click('.toolbar [data-pane="print"]');
  await page.click('#print-button');
  await page.waitForFunction(() => window.printed === 1, null, { timeout: 30_000 });
  await page.emulateMedia({ media: 'print' });
  const width = await page.evaluate(() => document.querySelector('#km-print .km-print-map').style.width);
  assert.equal(width, '190mm');
  const pdf = join(ARTIFACTS, 'citizen-phone-print.pdf');
  await page.pdf({ path: pdf, preferCSSPageSize: true });
  assert.equal(await page.evaluate(() => document.querySelector('#km-print .km-print-map').style.width), '190mm', 'beforeprint rebuilt it');
  await page.context().close();
});

test('a shelter picked from the list shows its details in the sheet, without technical fields or separators', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openApp(page, '#14/33.1031/130.0987');
  await page.click('.toolbar [data-pane="shelters"]');
  await page.locator('#shelters-pane .shelter button.secondary').first().click();
  const card = page.locator('#place-pane .place-feature .km-feature');
  await card.waitFor();
  // the answer about the place (under the card) arrives on its own: check the whole sheet
  await page.locator('#place-pane .place-body .coords').waitFor({ timeout: 30_000 });
  const text = await page.locator('#place-pane').textContent();
  assert.ok(!/共通ID|E41207/.test(text), 'common id shown');
  assert.ok(!/\d,\d{3}/.test(text.replace(/\d+(\.\d+)? m²/g, '')), `thousands separator: ${text}`);
  assert.equal(await page.locator('.km-popup').count(), 0, 'a map popup on a phone');
  await screenshot(page, 'citizen-phone-shelter-sheet');
  assert.deepEqual(await axe(page), []);
  await page.context().close();
});

test('phone controls: 44 px tap targets, 12 px scale text, one-line 「My location」, a basemap banner that covers nothing', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await page.route('https://cyberjapandata.gsi.go.jp/**', (route) => route.fulfill({ status: 503, body: '' }));
  await page.goto(`${env.base}/#15/33.1031/130.0987`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('.km-banner').first().waitFor({ timeout: 30_000 });
  const rects = await page.evaluate(() => {
    const r = (s) => document.querySelector(s)?.getBoundingClientRect().toJSON();
    return { banner: r('.km-banners'), search: r('#search-input'), ctrl: r('.maplibregl-ctrl-top-right'), map: r('.map-area') };
  });
  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  assert.ok(!overlap(rects.banner, rects.search), 'banner covers the search box');
  assert.ok(!overlap(rects.banner, rects.map), 'banner covers the map');
  const sizes = await page.evaluate(() => {
    const r = (s) => document.querySelector(s)?.getBoundingClientRect();
    const scale = document.querySelector('.maplibregl-ctrl-scale');
    return {
      attrib: r('.maplibregl-ctrl-attrib-button'),
      gsi: r('.km-credit a'),
      scale: scale ? parseFloat(getComputedStyle(scale).fontSize) : 0,
    };
  });
  assert.ok(sizes.attrib.width >= 44 && sizes.attrib.height >= 44, JSON.stringify(sizes.attrib));
  if (sizes.gsi) assert.ok(sizes.gsi.height >= 44, JSON.stringify(sizes.gsi));
  assert.ok(sizes.scale >= 12, String(sizes.scale));
  await screenshot(page, 'citizen-phone-banner');
  await page.click('#lang-button');
  const label = await page.evaluate(() => {
    const span = document.querySelector('.toolbar [data-pane="nearby"] span');
    return { text: span.textContent, h: span.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(span).lineHeight) };
  });
  assert.equal(label.text, 'My location');
  assert.ok(label.h < label.lh * 1.5, JSON.stringify(label));
  await page.context().close();
});

test('the national hazard maps overlay from local fixture tiles, credited on the map', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.desktop });
  // a translucent blue 1×1 PNG stands for GSI's tiles (no internet in tests)
  const tile = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  const asked = [];
  await page.route('https://disaportaldata.gsi.go.jp/**', (route) => {
    asked.push(route.request().url());
    return route.fulfill({ status: 200, contentType: 'image/png', body: tile });
  });
  await openApp(page, '#14/33.10/130.12');
  const b = page.locator('.toolbar [data-pane="layers"]');
  if ((await b.getAttribute('aria-expanded')) !== 'true') await b.click();
  await page.check('input[data-gsi-hazard="flood"]');
  await page.waitForFunction(() => window.kashimapMap.getLayer('gsi-hz-flood-0') && window.kashimapMap.areTilesLoaded());
  assert.ok(asked.some((u) => /01_flood_l2_shinsuishin_data\/1[45]\/\d+\/\d+\.png$/.test(u)), asked.join());
  const below = await page.evaluate(() => {
    const ids = window.kashimapMap.getStyle().layers.map((l) => l.id);
    return ids.indexOf('gsi-hz-flood-0') < ids.findIndex((id) => /shelters/.test(id));
  });
  assert.ok(below, 'the overlay covers the shelters');
  assert.match(await page.locator('.maplibregl-ctrl-attrib').textContent(), /ハザードマップポータルサイト/);
  await screenshot(page, 'citizen-desktop-gsi-flood');
  assert.deepEqual(await axe(page), []);
  await page.uncheck('input[data-gsi-hazard="flood"]');
  assert.equal(await page.evaluate(() => Boolean(window.kashimapMap.getLayer('gsi-hz-flood-0'))), false);
  await page.context().close();
});

test('search: each row says its kind, and 「さらに表示」 pages on', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openApp(page, '#14/33.1031/130.0987');
  await page.fill('#search-input', '高津原');
  await page.press('#search-input', 'Enter');
  await page.locator('#search-pane .result').first().waitFor();
  const fc = await api(`/api/search?q=${encodeURIComponent('高津原')}&limit=20`);
  assert.ok(fc.numberMatched > fc.features.length, 'the sample needs more than one page here');
  const before = await page.locator('#search-pane .result').count();
  assert.equal(before, fc.features.length);
  assert.match(await page.locator('#search-pane .status').textContent(), new RegExp(`${fc.numberMatched}件`));
  await page.click('#search-pane button.more');
  await page.waitForFunction((n) => document.querySelectorAll('#search-pane .result').length > n, before);
  // rows with one name differ in what they say about themselves
  const rows = await page.locator('#search-pane .result').evaluateAll((bs) => bs.map((b) => b.textContent));
  assert.equal(new Set(rows).size, rows.length, rows.join('\n'));
  await screenshot(page, 'citizen-phone-search-more');
  assert.deepEqual(await axe(page), []);
  await page.context().close();
});
