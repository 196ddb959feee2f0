// WCAG 2.1 AA on the public map (axe-core) at phone and desktop sizes, with each panel open,
// in Japanese and English; screenshots of each state go to ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VIEWPORTS, axe, newPage, openMap, screenshot, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

const PANES = ['nearby', 'shelters', 'layers', 'print'];

async function check(page, label) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${label}: ${JSON.stringify(violations, null, 1)}`);
}

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`no axe violations at ${size} size, closed and with every panel open`, async () => {
    const page = await newPage(env, { viewport });
    await openMap(env, page, '/', '#15/33.1031/130.0987');
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.waitForSelector('#layers-pane input[data-layer]', { state: 'attached' });
    await screenshot(page, `public-${size}-start`);
    await check(page, `${size} start`);
    for (const pane of PANES) {
      const b = page.locator(`.toolbar [data-pane="${pane}"]`);
      if ((await b.getAttribute('aria-expanded')) !== 'true') await b.click();
      await page.waitForSelector(`#${pane}-pane:not([hidden]) > :not([hidden])`);
      if (pane === 'shelters') await page.locator('#shelters-pane .shelter').first().waitFor();
      await screenshot(page, `public-${size}-${pane}`);
      await check(page, `${size} ${pane}`);
    }
    // a tap: place info and a popup
    const box = await page.locator('.map-area canvas').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 3);
    await page.locator('#place-pane .place-section').first().waitFor();
    await screenshot(page, `public-${size}-place`);
    await check(page, `${size} place`);
    await page.context().close();
  });
}

test('no axe violations in English, and keyboard focus is visible', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.phone });
  await openMap(env, page, '/');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.click('#lang-button');
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  // Tab from the top reaches the skip link first, and it opens the shelter list.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({
    cls: document.activeElement.className,
    outline: getComputedStyle(document.activeElement).outlineStyle,
  }));
  assert.equal(focused.cls, 'skip-link');
  assert.notEqual(focused.outline, 'none');
  await page.keyboard.press('Enter');
  await page.locator('#shelters-pane .shelter').first().waitFor();
  assert.equal(await page.locator('#panel').isVisible(), true);
  assert.equal(await page.locator('#panel-title').innerText(), 'List of shelters');
  await check(page, 'english shelters');
  await screenshot(page, 'public-phone-english-shelters');
  await page.context().close();
});

test('keyboard only: search, choose a result, and ask about the map centre with Enter', async () => {
  const page = await newPage(env, { viewport: VIEWPORTS.desktop });
  await openMap(env, page, '/', '#16/33.1031/130.0987');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.focus('#search-input');
  await page.keyboard.type('鹿島小学校');
  await page.keyboard.press('Enter');
  await page.locator('#search-pane .result').first().waitFor();
  await page.locator('#search-pane .result').first().focus();
  await page.keyboard.press('Enter');
  await page.locator('.km-popup').waitFor();
  await page.focus('.maplibregl-canvas');
  await page.keyboard.press('Enter');
  await page.locator('#place-pane .zone-name').waitFor();
  assert.equal(await page.locator('#panel-title').innerText(), 'この場所の情報');
  await page.context().close();
});
