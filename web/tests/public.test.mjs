// The public map at `/`: layers, popups, place info, nearest shelters, search, sharing,
// language, print, and that the restricted `pipes` layer never reaches the page.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, VIEWPORTS, mapIdle, newPage, openMap, pdfPageSize, printLayout, screenshot, start, stubPrint } from './harness.mjs';

const PUBLIC_LAYERS = ['zoning', 'heritage', 'roads', 'shelters'];
const CENTRE = { lon: 130.0987, lat: 33.1031 };

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

async function api(path) {
  const r = await fetch(`${env.base}${path}`);
  assert.equal(r.status, 200, path);
  return r.json();
}

/** Open the page and wait until the app has wired its panes. */
async function openApp(page, hash = '') {
  await openMap(env, page, '/', hash);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
}

/** Open a pane from the toolbar (a second click would close it). */
async function openPane(page, name) {
  const b = page.locator(`.toolbar [data-pane="${name}"]`);
  if ((await b.getAttribute('aria-expanded')) !== 'true') await b.click();
}

/** Click the map at a lon/lat. */
async function clickAt(page, lon, lat) {
  const p = await page.evaluate(([x, y]) => {
    const m = window.kashimapMap;
    const r = m.getCanvas().getBoundingClientRect();
    const q = m.project([x, y]);
    return { x: r.left + q.x, y: r.top + q.y };
  }, [lon, lat]);
  await page.mouse.click(p.x, p.y);
}

test('every public layer renders features, from local assets only', async () => {
  const page = await newPage(env);
  await openApp(page, `#15/${CENTRE.lat}/${CENTRE.lon}`);
  const counts = await page.evaluate((ids) => {
    const m = window.kashimapMap;
    return Object.fromEntries(ids.map((id) => [id, m.queryRenderedFeatures().filter((f) => f.source === id).length]));
  }, PUBLIC_LAYERS);
  for (const id of PUBLIC_LAYERS) assert.ok(counts[id] > 0, `${id}: ${JSON.stringify(counts)}`);
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('the public page never requests or shows pipes', async () => {
  const page = await newPage(env);
  await openApp(page, `#16/${CENTRE.lat}/${CENTRE.lon}`);
  await openPane(page, 'layers');
  await page.waitForSelector('#layers-pane input[data-layer="shelters"]');
  const text = await page.evaluate(() => document.body.innerText + JSON.stringify(window.kashimapMap.getStyle()));
  assert.ok(!/pipes|水道管路|管路/.test(text), 'pipes named in the page');
  assert.deepEqual(page.requests.filter((u) => /pipes/.test(decodeURIComponent(u))), []);
  await page.context().close();
});

test('tapping a shelter shows a popup with its attributes', async () => {
  // a flood shelter with no other shelter at the same spot
  const { features: all } = await api('/ogc/collections/shelters/items?limit=1000');
  const key = (x) => x.geometry.coordinates.join();
  const f = all.find((x) => x.properties['洪水'] && all.filter((y) => key(y) === key(x)).length === 1);
  const [lon, lat] = f.geometry.coordinates;
  const page = await newPage(env);
  await openApp(page, `#17/${lat}/${lon}&layers=shelters`);
  await clickAt(page, lon, lat);
  const popup = page.locator('.km-popup');
  await popup.waitFor();
  await page.waitForFunction(() => document.querySelector('.km-popup')?.textContent.includes('住所'));
  const text = await popup.innerText();
  assert.match(text, new RegExp(f.properties['名称']));
  assert.match(text, /住所/);
  assert.match(text, new RegExp(f.properties['住所']));
  assert.match(text, /あり\s+洪水/);
  await screenshot(page, 'public-desktop-popup');
  await page.context().close();
});

test('two shelter records at one spot are both in the popup', async () => {
  const { features } = await api(`/api/search?q=${encodeURIComponent('鹿島小学校')}`);
  const here = features.filter((f) => f.geometry.coordinates.join() === features[0].geometry.coordinates.join());
  assert.ok(here.length >= 2, 'the sample has a school listed twice');
  const [lon, lat] = here[0].geometry.coordinates;
  const page = await newPage(env);
  await openApp(page, `#17/${lat}/${lon}&layers=shelters`);
  await clickAt(page, lon, lat);
  await page.locator('.km-popup .km-feature-stack').waitFor();
  const titles = await page.locator('.km-popup .km-feature-title').allInnerTexts();
  assert.deepEqual(titles.sort(), here.map((f) => f.label).sort());
  await page.context().close();
});

test('shelter kinds differ by shape, not only colour, on the map and in the legend', async () => {
  const page = await newPage(env);
  await openApp(page, `#13/${CENTRE.lat}/${CENTRE.lon}&layers=shelters`);
  await openPane(page, 'layers');
  await page.locator('#layers-pane li[data-layer="shelters"] .km-legend li').first().waitFor();
  // the pane beside the map resizes it: count the icons once they are placed again
  await mapIdle(page);
  const map = await page.evaluate(() => {
    const m = window.kashimapMap;
    const layers = m.getStyle().layers.filter((l) => l.source === 'shelters');
    // the icon of each kind, from the style's `match` on 種別
    const icons = {};
    for (const l of layers) {
      const e = l.layout?.['icon-image'];
      if (!Array.isArray(e) || e[0] !== 'match' || e[1][1] !== '種別') continue;
      for (let i = 2; i < e.length - 1; i += 2) icons[e[i]] = e[i + 1];
    }
    // each icon's opaque pixels (its shape, whatever its colour)
    const masks = Object.fromEntries(
      Object.values(icons).map((name) => {
        const img = m.hasImage(name) ? m.getImage(name).data : null;
        const mask = img ? Array.from({ length: img.width * img.height }, (_, i) => (img.data[i * 4 + 3] > 127 ? 1 : 0)) : null;
        return [name, mask && { w: img.width, h: img.height, mask }];
      }),
    );
    const drawn = {};
    for (const f of m.queryRenderedFeatures({ layers: layers.map((l) => l.id) })) {
      drawn[f.properties['種別']] = (drawn[f.properties['種別']] ?? 0) + 1;
    }
    return { types: layers.map((l) => l.type), icons, masks, drawn };
  });
  const EMERGENCY = '指定緊急避難場所';
  const SHELTER = '指定避難所';
  assert.deepEqual(map.types, ['symbol'], 'shelters are drawn as icons');
  assert.ok(map.drawn[EMERGENCY] > 0 && map.drawn[SHELTER] > 0, `both kinds drawn: ${JSON.stringify(map.drawn)}`);
  const [a, b] = [map.icons[EMERGENCY], map.icons[SHELTER]];
  assert.ok(a && b && a !== b, `different icons: ${a} / ${b}`);
  const shapeOf = (name) => name.split(':')[1];
  assert.notEqual(shapeOf(a), shapeOf(b));
  // the pictures themselves differ in outline, not only in colour
  const [ma, mb] = [map.masks[a], map.masks[b]];
  assert.ok(ma && mb, 'both icons are loaded in the map');
  assert.equal(ma.mask.length, mb.mask.length);
  const differ = ma.mask.filter((v, i) => v !== mb.mask[i]).length;
  const opaque = ma.mask.filter(Boolean).length;
  assert.ok(differ > opaque * 0.1, `${differ} of ${opaque} pixels differ in shape`);

  // the legend shows the same shapes
  const legend = await page.locator('#layers-pane li[data-layer="shelters"] .km-legend li').evaluateAll((lis) =>
    lis.map((li) => {
      const svg = li.querySelector('svg');
      const body = svg.firstElementChild;
      return { label: li.textContent.trim(), shape: svg.dataset.shape, tag: body.tagName, points: body.getAttribute('points') };
    }),
  );
  const entry = (label) => legend.find((e) => e.label === label);
  assert.ok(entry(EMERGENCY) && entry(SHELTER), JSON.stringify(legend));
  assert.equal(entry(EMERGENCY).shape, shapeOf(a));
  assert.equal(entry(SHELTER).shape, shapeOf(b));
  assert.notDeepEqual(
    { tag: entry(EMERGENCY).tag, points: entry(EMERGENCY).points },
    { tag: entry(SHELTER).tag, points: entry(SHELTER).points },
    'legend outlines differ',
  );
  assert.equal(legend.length, 2, 'no 「その他」 entry for a kind the data does not have');
  await page.setViewportSize(VIEWPORTS.phone);
  await page.evaluate(() => window.kashimapMap.jumpTo({ center: [130.0987, 33.1031], zoom: 14 }));
  await page.locator('#panel-close').click();
  await page.waitForFunction(() => window.kashimapMap.areTilesLoaded());
  await screenshot(page, 'public-phone-shelter-shapes');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('「この場所の情報」 shows the zone, its ratios and the nearest shelter', async () => {
  const expected = await api(`/api/at?lon=${CENTRE.lon}&lat=${CENTRE.lat}&hazard=${encodeURIComponent('洪水')}`);
  const zone = expected.layers.find((l) => l.id === 'zoning').features[0].properties;
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openApp(page, `#16/${CENTRE.lat}/${CENTRE.lon}`);
  await clickAt(page, CENTRE.lon, CENTRE.lat);
  await page.locator('#place-pane .zone-name').waitFor();
  assert.equal(await page.locator('#panel-title').innerText(), 'この場所の情報');
  assert.equal(await page.locator('#place-pane .zone-name').innerText(), zone['用途地域']);
  const ratios = await page.locator('#place-pane .zone-ratios').innerText();
  assert.ok(ratios.includes(`容積率 ${zone['容積率']}％`) && ratios.includes(`建蔽率 ${zone['建蔽率']}％`), ratios);
  const first = await page.locator('#place-pane .shelter-name').first().innerText();
  assert.match(first, new RegExp(expected.nearest_shelters[0].label));
  // on phones a tapped road or area is in the sheet (not in a covered popup), folded after the
  // answer: what was asked (zone, heritage, hazards) comes first
  // (a tapped point, such as a landmark, is what was asked: its card comes first)
  await page.locator('#place-pane .km-attrs').first().waitFor({ state: 'attached' });
  const order = await page.evaluate(() => [...document.querySelector('#place-pane').children].filter((e) => !e.hidden).map((e) => e.className));
  assert.ok(['place-body,place-tapped', 'place-feature,place-body'].includes(order.join()), order.join());
  await page.waitForFunction(() => !window.kashimapMap.isMoving());
  await screenshot(page, 'public-phone-place');
  await page.context().close();
});

test('a point in a 埋蔵文化財包蔵地 says what to do next', async () => {
  const site = (await api('/ogc/collections/heritage/items?limit=1')).features[0];
  const ring = site.geometry.type === 'Polygon' ? site.geometry.coordinates[0] : site.geometry.coordinates[0][0];
  // a point just inside: the mean of the ring's vertices is inside for these convex sites
  const lon = ring.reduce((s, c) => s + c[0], 0) / ring.length;
  const lat = ring.reduce((s, c) => s + c[1], 0) / ring.length;
  const at = await api(`/api/at?lon=${lon}&lat=${lat}`);
  const inside = at.layers.find((l) => l.id === 'heritage').features[0];
  assert.ok(inside, 'the probe point lies in the site');
  const page = await newPage(env);
  await openApp(page, `#17/${lat}/${lon}&layers=heritage`);
  await clickAt(page, lon, lat);
  const notice = page.locator('#place-pane .notice');
  await notice.waitFor();
  const text = await notice.innerText();
  assert.match(text, new RegExp(inside.properties['遺跡名']));
  assert.match(text, /60日前/);
  assert.match(text, /生涯学習課/);
  assert.match(text, /電話/);
  await page.context().close();
});

test('「現在地」 lists the nearest shelter for the chosen hazard', async () => {
  const here = { longitude: 130.0925, latitude: 33.0985 };
  const expected = await api(
    `/api/nearest?layer=shelters&lon=${here.longitude}&lat=${here.latitude}&k=5&hazard=${encodeURIComponent('津波')}`,
  );
  const page = await newPage(env, {
    viewport: VIEWPORTS.phone,
    geolocation: here,
    permissions: ['geolocation'],
  });
  await openApp(page);
  await openPane(page, 'nearby');
  await page.selectOption('#nearby-hazard', '津波');
  await page.click('#nearby-pane button.primary');
  const first = page.locator('#nearby-pane .shelter-name').first();
  await first.waitFor();
  assert.match(await first.innerText(), new RegExp(expected.features[0].label));
  const dist = await page.locator('#nearby-pane .shelter-distance').first().innerText();
  assert.match(dist, new RegExp(`${Math.round(expected.features[0].distance_m)} m`));
  const href = await page.locator('#nearby-pane .route-link').first().getAttribute('href');
  assert.match(href, /travelmode=walking/);
  assert.deepEqual(page.offsite, []);
  await screenshot(page, 'public-phone-nearby');
  await page.context().close();
});

test('search finds a shelter by name and flies there', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openApp(page);
  await page.fill('#search-input', '鹿島小学校');
  await page.press('#search-input', 'Enter');
  const result = page.locator('#search-pane .result', { hasText: '鹿島小学校' }).first();
  await result.waitFor();
  await screenshot(page, 'public-phone-search');
  await result.click();
  // on phones its details open in the sheet (a popup would run under the sheet and toolbar)
  await page.locator('#place-pane .place-feature .km-feature-title', { hasText: '鹿島小学校' }).first().waitFor();
  assert.equal(await page.locator('.km-popup').count(), 0);
  await page.waitForFunction(() => !window.kashimapMap.isMoving());
  const c = await page.evaluate(() => window.kashimapMap.getCenter());
  assert.ok(Math.abs(c.lng - 130.095604) < 0.002 && Math.abs(c.lat - 33.102231) < 0.002, JSON.stringify(c));
  await page.context().close();
});

test('the hash restores the view and the visible layers', async () => {
  const page = await newPage(env);
  await openApp(page, '#16/33.1/130.1&layers=zoning,shelters');
  const state = await page.evaluate(() => {
    const m = window.kashimapMap;
    const vis = (src) => m.getStyle().layers.filter((l) => l.source === src).map((l) => l.layout?.visibility ?? 'visible');
    return { zoom: m.getZoom(), c: m.getCenter(), roads: vis('roads'), zoning: vis('zoning') };
  });
  assert.equal(Math.round(state.zoom), 16);
  assert.ok(Math.abs(state.c.lat - 33.1) < 1e-3 && Math.abs(state.c.lng - 130.1) < 1e-3);
  assert.deepEqual(state.roads, ['none']);
  assert.ok(state.zoning.every((v) => v === 'visible'));
  await openPane(page, 'layers');
  await page.locator('#layers-pane input[data-layer="roads"]').waitFor();
  assert.equal(await page.isChecked('#layers-pane input[data-layer="roads"]'), false);
  await page.check('#layers-pane input[data-layer="roads"]');
  await page.waitForFunction(() => /layers=[^&]*roads/.test(location.hash));
  await page.context().close();
});

test('language switch to English is remembered', async () => {
  const page = await newPage(env);
  await openApp(page);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.click('#lang-button');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.locator('.toolbar').innerText(), /Shelters/);
  assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'aria-label'), 'Zoom in');
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await openPane(page, 'shelters');
  await page.locator('#shelters-pane .shelter').first().waitFor();
  assert.equal(await page.locator('#panel-title').innerText(), 'List of shelters');
  assert.match(await page.locator('#shelters-pane').innerText(), /For: /);
  await page.context().close();
});

for (const [paper, orientation] of [
  ['A4', 'portrait'],
  ['A3', 'landscape'],
]) {
  test(`print makes a ${paper} ${orientation} PDF with title, scale, north arrow, legend, sources and date`, async () => {
    const page = await newPage(env);
    await stubPrint(page);
    await openApp(page, `#15/${CENTRE.lat}/${CENTRE.lon}`);
    await openPane(page, 'print');
    await page.check(`#print-pane input[name="paper"][value="${paper}"]`);
    await page.check(`#print-pane input[name="orientation"][value="${orientation}"]`);
    await page.click('#print-button');
    await page.waitForFunction(() => window.printed === 1);
    const layout = await printLayout(page);
    assert.match(layout.title, /かしまっぷ/);
    assert.match(layout.date, /作成日：\d{4}年\d{1,2}月\d{1,2}日/);
    assert.match(layout.scale, /縮尺 1:[\d,]+/);
    assert.ok(layout.north);
    assert.ok(layout.legend >= 4, `legend entries: ${layout.legend}`);
    assert.match(layout.sources, /国土地理院/);
    assert.ok(layout.img > 10_000, 'the map image is not empty');
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize(paper === 'A4' ? { width: 794, height: 1123 } : { width: 1587, height: 1123 });
    await screenshot(page, `public-print-${paper}-${orientation}`);
    const path = join(ARTIFACTS, `public-print-${paper}-${orientation}.pdf`);
    await page.pdf({ path, preferCSSPageSize: true, printBackground: true });
    assert.ok(statSync(path).size > 30_000, `PDF is ${statSync(path).size} bytes`);
    // the page is the chosen paper (points: A4 595 × 842, A3 842 × 1191), from `@page`
    const [pw, ph] = { A4: [595, 842], A3: [842, 1191] }[paper];
    assert.deepEqual(pdfPageSize(path), orientation === 'portrait' ? [pw, ph] : [ph, pw]);
    await page.emulateMedia({ media: 'screen' });
    await page.context().close();
  });
}
