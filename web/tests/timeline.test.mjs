// マイ・タイムライン (/timeline): set home, see its hazards, choose two shelters per hazard (a
// third is refused), reload and find them again (localStorage only: nothing is sent), print
// 「わたしの避難先」 to an A4 PDF; 「自宅に留まる」 only where home is outside every hazard
// area; axe at both sizes. Also the 使い方 page, linked from the map.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, VIEWPORTS, axe, newPage, openMap, pdfPageSize, screenshot, start, stubPrint } from './harness.mjs';

const HERE = { latitude: 33.1031, longitude: 130.0987 };
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

async function openTimeline(page) {
  await page.goto(`${env.base}/timeline?basemap=none`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000 });
}

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`choose two flood shelters, reload, they are still there, print to A4 PDF (${size})`, async () => {
    const page = await newPage(env, { viewport, geolocation: HERE, permissions: ['geolocation'] });
    await stubPrint(page);
    const sent = [];
    page.on('request', (r) => r.method() !== 'GET' && sent.push(`${r.method()} ${r.url()}`));
    await openTimeline(page);
    await page.click('text=現在地を自宅にする');
    const flood = page.locator('fieldset[data-hazard="洪水"]');
    await flood.locator('input[type="checkbox"]').first().waitFor();
    await page.locator('.hz').first().waitFor();
    const boxes = flood.locator('input[type="checkbox"]');
    assert.ok((await boxes.count()) >= 3);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await boxes.nth(2).click();
    assert.equal(await boxes.nth(2).isChecked(), false, 'a third shelter was accepted');
    assert.match(await flood.locator('.tl-max').textContent(), /2か所まで/);
    const names = await flood.locator('.tl-option:has(input:checked) .tl-name').allTextContents();
    assert.equal(names.length, 2);
    // nothing was sent: only GETs, and no request names a chosen shelter
    assert.deepEqual(sent, []);
    assert.ok(!page.requests.some((u) => names.some((n) => decodeURIComponent(u).includes(n))));
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.locator('fieldset[data-hazard="洪水"] input:checked').first().waitFor();
    const again = await page.locator('fieldset[data-hazard="洪水"] .tl-option:has(input:checked) .tl-name').allTextContents();
    assert.deepEqual(again, names);
    await screenshot(page, `timeline-${size}`);
    assert.deepEqual(await axe(page), []);
    // print: the sheet has the map, both shelters with route QR codes, on one A4 page
    await page.click('#tl-print');
    await page.waitForFunction(() => window.printed === 1, null, { timeout: 30_000 });
    const sheet = await page.evaluate(() => ({
      title: document.querySelector('#tl-sheet h1')?.textContent,
      img: document.querySelector('#tl-sheet img')?.src.length ?? 0,
      text: document.querySelector('#tl-sheet').textContent,
    }));
    assert.equal(sheet.title, 'わたしの避難先');
    assert.ok(sheet.img > 10_000, 'no map image');
    for (const n of names) assert.ok(sheet.text.includes(n), n);
    // each chosen shelter has a QR code that a phone reads as its walking route
    // (an independent decoder, evaluated over CDP: the page's CSP allows no injected script)
    await page.evaluate(readFileSync(join(import.meta.dirname, '..', 'node_modules', 'jsqr', 'dist', 'jsQR.js'), 'utf8'));
    const routes = await page.evaluate(async () =>
      Promise.all(
        [...document.querySelectorAll('#tl-sheet img.tl-qr')].map(async (img) => {
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.naturalWidth;
          c.height = img.naturalHeight;
          const ctx = c.getContext('2d');
          ctx.drawImage(img, 0, 0);
          return window.jsQR(ctx.getImageData(0, 0, c.width, c.height).data, c.width, c.height)?.data ?? null;
        }),
      ),
    );
    assert.equal(routes.length, names.length);
    for (const url of routes) assert.match(url ?? '', /^https:\/\/www\.google\.com\/maps\/dir\/\?api=1&destination=33\.\d+%2C130\.\d+&travelmode=walking$/);
    assert.doesNotMatch(sheet.text, /https?:/, 'no raw URL on paper');
    const pdf = join(ARTIFACTS, `timeline-${size}.pdf`);
    await page.pdf({ path: pdf, preferCSSPageSize: true });
    assert.deepEqual(pdfPageSize(pdf), [595, 842]);
    const pages = readFileSync(pdf, 'latin1').match(/\/Type\s*\/Page[^s]/g).length;
    assert.equal(pages, 1);
    try {
      execFileSync('pdftoppm', ['-png', '-r', '50', '-singlefile', pdf, join(ARTIFACTS, `timeline-${size}-pdf`)]);
    } catch {
      // poppler-utils missing: the PDF itself was checked above
    }
    assert.deepEqual(page.offsite, []);
    await page.context().close();
  });
}

test('「自宅に留まる」 is offered only where home is outside every hazard area', async () => {
  // a flood-area point and a point outside every area, found through the API
  const polys = (await api('/ogc/collections/flood/items?limit=50')).features;
  const ring = polys[0].geometry.coordinates[0];
  const inside = [(ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2];
  const inRes = await api(`/api/at?lon=${inside[0]}&lat=${inside[1]}`);
  assert.equal(inRes.hazards.flood.in_area, true);
  const outside = [HERE.longitude, HERE.latitude];
  const outRes = await api(`/api/at?lon=${outside[0]}&lat=${outside[1]}`);
  const outAll = Object.values(outRes.hazards).every((h) => !h.in_area);
  for (const [at, expectStay] of [[inside, false], [outside, outAll]]) {
    const page = await newPage(env, { viewport: VIEWPORTS.phone, geolocation: { longitude: at[0], latitude: at[1] }, permissions: ['geolocation'] });
    await openTimeline(page);
    await page.click('text=現在地を自宅にする');
    await page.locator('fieldset[data-hazard="洪水"] input').first().waitFor();
    await page.locator('.hz').first().waitFor();
    const stay = await page.locator('input[value="stay"]').count();
    assert.equal(stay > 0, expectStay, `${at}: stay offered ${stay}`);
    await page.context().close();
  }
});

test('the 使い方 page is linked from the map and passes axe at both sizes', async () => {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    const page = await newPage(env, { viewport });
    await openMap(env, page, '/');
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    const b = page.locator('.toolbar [data-pane="layers"]');
    if ((await b.getAttribute('aria-expanded')) !== 'true') await b.click();
    await page.click('.more-links a[href="/help"]');
    await page.waitForURL(/\/help$/);
    assert.match(await page.locator('h1').textContent(), /使い方/);
    await screenshot(page, `help-${size}`);
    assert.deepEqual(await axe(page), []);
    await page.context().close();
  }
});
