// Sources on phones: GSI's terms ask for the source of 地理院タイル to be shown, so at 360×640
// a short credit (地理院タイル linked to GSI, and the data's sources) is on the map from the
// start, with no tap on ⓘ, readable and clear of the map's controls. The basemap tiles are
// answered locally (openMapWithBasemap).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VIEWPORTS, axe, newPage, openMapWithBasemap, screenshot, start } from './harness.mjs';
import { mapReady, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

const GSI = 'https://maps.gsi.go.jp/development/ichiran.html';

/** Relative luminance contrast of two `rgb(…)` colours. */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The credit is visible without a tap, inside the viewport and the map, readable, and covers no control. */
async function checkCredit(page, { controls, mapSelector }) {
  const credit = page.locator('.km-credit');
  const link = credit.getByRole('link', { name: '地理院タイル' });
  assert.ok(await link.isVisible(), 'the 地理院タイル link is visible');
  assert.equal(await link.getAttribute('href'), GSI);
  const box = await credit.boundingBox();
  const vp = page.viewportSize();
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height, `in the viewport: ${JSON.stringify(box)}`);
  const map = await page.locator(mapSelector).boundingBox();
  assert.ok(box.y >= map.y && box.y + box.height <= map.y + map.height, 'on the map');
  const linkBox = await link.boundingBox();
  assert.ok(linkBox.y + linkBox.height <= vp.height && linkBox.width > 0, 'the link itself is on screen');
  const style = await credit.evaluate((el) => {
    const cs = getComputedStyle(el);
    const a = getComputedStyle(el.querySelector('a'));
    return { size: parseFloat(cs.fontSize), color: cs.color, bg: cs.backgroundColor, linkSize: parseFloat(a.fontSize), linkColor: a.color };
  });
  assert.ok(style.size >= 12 && style.linkSize >= 12, `font size ${style.size}px / ${style.linkSize}px`);
  assert.ok(contrast(style.color, style.bg) >= 4.5, `contrast ${style.color} on ${style.bg}`);
  assert.ok(contrast(style.linkColor, style.bg) >= 4.5, `link contrast ${style.linkColor} on ${style.bg}`);
  for (const sel of controls) {
    for (const other of await page.locator(sel).all()) {
      if (!(await other.isVisible())) continue;
      const b = await other.boundingBox();
      assert.ok(!overlap(box, b), `the credit ${JSON.stringify(box)} covers ${sel} ${JSON.stringify(b)}`);
    }
  }
  // the full attribution is still folded behind ⓘ (nothing was tapped)
  assert.equal(await page.locator('.maplibregl-ctrl-attrib.maplibregl-compact-show').count(), 0);
  return (await credit.innerText()).replace(/\s+/g, ' ');
}

const CONTROLS = ['.maplibregl-ctrl-group', '.maplibregl-ctrl-scale', '.maplibregl-ctrl-attrib-button'];

test('public page at 360×640: 地理院タイル and the data sources are shown without a tap', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openMapWithBasemap(env, page, '/', '#14/33.1031/130.0987');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('.km-credit a').waitFor();
  assert.ok(page.basemapTiles > 0, 'the basemap was drawn (locally answered tiles)');
  const text = await checkCredit(page, { controls: [...CONTROLS, '.toolbar'], mapSelector: '.map-area' });
  assert.match(text, /^出典：地理院タイル/);
  assert.match(text, /国土地理院 指定緊急避難場所・指定避難所データ/);
  assert.match(text, /鹿島市サンプルデータ/);
  await screenshot(page, 'public-phone-credit');
  assert.deepEqual(await axe(page), [], 'axe with the credit');

  // the credit follows the visible layers: shelters hidden, their source goes
  await page.locator('.toolbar [data-pane="layers"]').click();
  await page.locator('#layers-pane input[data-layer="shelters"]').uncheck();
  await page.locator('#panel-close').click();
  await page.waitForFunction(() => !/指定避難所データ/.test(document.querySelector('.km-credit').textContent));
  assert.match(await page.locator('.km-credit').innerText(), /地理院タイル/);
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('English: the credit reads “Sources: GSI Tiles”', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openMapWithBasemap(env, page, '/');
  await page.click('#lang-button');
  await page.locator('.km-credit a', { hasText: 'GSI Tiles' }).waitFor();
  assert.match(await page.locator('.km-credit').innerText(), /^Sources: GSI Tiles \|/);
  await page.context().close();
});

test('staff page at 360×640, signed in: the same credit, clear of the controls', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  page.on('dialog', (d) => d.accept());
  await openMapWithBasemap(env, page, '/staff');
  await signIn(page, 'suido');
  await mapReady(page);
  await page.locator('.km-credit a').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  const text = await checkCredit(page, { controls: CONTROLS, mapSelector: '#map' });
  assert.match(text, /^出典：地理院タイル/);
  assert.match(text, /鹿島市サンプルデータ/);
  await screenshot(page, 'staff-phone-credit');
  assert.deepEqual(page.offsite, []);
  await page.context().close();
});
