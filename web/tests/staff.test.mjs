// The staff view: sign-in (right and wrong), the restricted pipes layer with its badge,
// accessibility at phone and desktop sizes, screenshots, and printing the pipe map to PDF.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, PASSWORD, VIEWPORTS, axe, pdfPageSize, printLayout, screenshot, start, stubPrint } from './harness.mjs';
import { mapReady, openStaff, renderedCount, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

test('a wrong password gives a clear Japanese error and no session', async () => {
  const page = await openStaff(env);
  await page.getByLabel('ユーザー名').fill('suido');
  await page.getByLabel('パスワード').fill('wrong-password-123');
  await page.getByRole('button', { name: 'ログイン' }).click();
  const status = page.locator('.signin .status.is-error');
  await status.waitFor();
  assert.match(await status.textContent(), /ユーザー名またはパスワードが違います/);
  assert.equal(await page.locator('[data-user]').count(), 0);
  await page.context().close();
});

test('suido signs in and sees the pipes, marked as restricted', async () => {
  const page = await openStaff(env);
  assert.equal(await renderedCount(page, 'pipes-line'), 0, 'no pipes before sign-in');
  await signIn(page, 'suido');
  assert.ok((await renderedCount(page, 'pipes-line')) > 0, 'pipes drawn after sign-in');
  const item = page.locator('li[data-layer="pipes"]');
  assert.match(await item.textContent(), /水道管路/);
  assert.match(await item.locator('.km-badge').textContent(), /職員限定/);
  assert.equal(await page.locator('li[data-layer="shelters"] .km-badge').count(), 0);
  const at = await page.evaluate(() => {
    const map = window.kashimapMap;
    const f = map.queryRenderedFeatures({ layers: ['pipes-line'] })[0];
    const c = f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates[0];
    const mid = c[Math.floor(c.length / 2)];
    const p = map.project(mid);
    const r = map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  });
  await page.mouse.click(at.x, at.y);
  const info = page.locator('#panel-feature .km-feature');
  await info.first().waitFor();
  assert.match(await page.locator('#panel-feature').textContent(), /水道管路.*管路番号/s);
  // pipes are not public at all: every attribute is marked 職員限定
  const cover = page.locator('#panel-feature dt', { hasText: '土被り' });
  await cover.first().waitFor();
  assert.match(await cover.first().textContent(), /職員限定/);
  // The selection is drawn on the map (its GeoJSON source is tiled in a worker: wait for it),
  // and the attributes are where the eye is.
  const selected = await page
    .waitForFunction(() => window.kashimapMap.querySourceFeatures('km-selection').length, null, { timeout: 30_000 })
    .then((n) => n.jsonValue())
    .catch(() => 0);
  assert.ok(selected > 0, 'the clicked pipe is highlighted');
  const box = await page.locator('#panel-feature').boundingBox();
  assert.ok(box.y < 400, `the attributes are in view (top at ${box.y}px)`);
  const year = page.locator('#panel-feature dt', { hasText: '布設年度' }).first().locator('xpath=following-sibling::dd[1]');
  assert.match(await year.textContent(), /^\d{4}/, 'a year is written without a thousands separator');
  await screenshot(page, 'staff-selection');
  assert.deepEqual(page.offsite, []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  test(`no axe violations at ${size} size, signed out and signed in`, async () => {
    const page = await openStaff(env, { viewport });
    await screenshot(page, `staff-${size}-signed-out`);
    assert.deepEqual(await axe(page), [], 'signed out');
    await signIn(page, 'suido');
    await page.locator('#panel-uploads .version-list li').first().waitFor();
    await screenshot(page, `staff-${size}-signed-in`);
    await page.locator('#panel-uploads').scrollIntoViewIfNeeded();
    await screenshot(page, `staff-${size}-panels`);
    assert.deepEqual(await axe(page), [], 'signed in');
    await page.context().close();
  });
}

const CUSTOM_TITLE = '新町地区 配水管 布設替え工事 参考図';

test('the pipe map prints A4 landscape with labels, a quiet map filling the page, an edited title, user, scale bar, north arrow, legend and sources', async () => {
  const page = await openStaff(env);
  await stubPrint(page);
  await signIn(page, 'suido');
  // a street-level view of the town centre, where the mains run close together
  await page.evaluate(() => window.kashimapMap.jumpTo({ center: [130.0995, 33.1035], zoom: 16 }));
  await mapReady(page);
  await page.check('#panel-print input[name="paper"][value="A4"]');
  await page.check('#panel-print input[name="orientation"][value="landscape"]');
  // the title field is labelled and starts with the staff title
  const title = page.getByLabel('地図のタイトル');
  assert.equal(await title.inputValue(), '鹿島市 管路図（職員・受託者用）');
  await title.fill(CUSTOM_TITLE);
  await page.getByRole('button', { name: '管路図を印刷' }).click();
  await page.waitForFunction(() => window.printed === 1);
  const layout = await printLayout(page);
  assert.equal(layout.title, CUSTOM_TITLE);
  assert.match(layout.date, /作成日：\d{4}年\d{1,2}月\d{1,2}日/);
  assert.match(layout.scale, /縮尺 1:[\d,]+/);
  assert.ok(layout.north, 'north arrow');
  assert.ok(layout.groups.includes('水道管路'), `legend groups: ${layout.groups}`);
  assert.ok(!layout.groups.includes('用途地域'), `zoning prints faint and out of the legend: ${layout.groups}`);
  assert.ok(layout.legend >= 1, `legend entries: ${layout.legend}`);
  // 管路番号 and 口径 along the mains, drawn onto the picture (no glyph server needed)
  assert.ok(layout.labels >= 8, `labels: ${layout.labels}`);
  // the map fills the A4 landscape box: 277 mm wide, and most of the height
  assert.ok(layout.mapMm[0] >= 270 && layout.mapMm[1] >= 120, `map ${layout.mapMm} mm`);
  assert.match(layout.sources, /出力者：suido（水道課）/);
  assert.match(layout.sources, /取り扱いに注意/);
  assert.ok(layout.img > 10_000, `map picture is ${layout.img} bytes`);
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 1123, height: 794 });
  // in print media only the layout shows, headed by the edited title
  assert.ok(await page.locator('#km-print h1', { hasText: CUSTOM_TITLE }).isVisible(), 'title on the printed page');
  assert.equal(await page.locator('#panel-print').isVisible(), false, 'the form is not printed');
  await screenshot(page, 'staff-print-layout');
  const path = join(ARTIFACTS, 'staff-print.pdf');
  await page.pdf({ path, preferCSSPageSize: true, printBackground: true });
  assert.ok(statSync(path).size > 20_000, `PDF is ${statSync(path).size} bytes`);
  // A4 landscape from `@page` (points: 842 × 595)
  assert.deepEqual(pdfPageSize(path), [842, 595]);
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize(VIEWPORTS.desktop);

  // an emptied title field prints the default title, still with who printed it
  await title.fill('');
  await page.getByRole('button', { name: '管路図を印刷' }).click();
  await page.waitForFunction(() => window.printed === 2);
  const again = await printLayout(page);
  assert.equal(again.title, '鹿島市 管路図（職員・受託者用）');
  assert.match(again.sources, /出力者：suido（水道課）/);
  await page.context().close();
});

test('lock-out and a lost network give clear Japanese messages', async () => {
  const page = await openStaff(env);
  const status = page.locator('.signin .status.is-error');
  for (let i = 0; i < 6; i += 1) {
    await page.getByLabel('ユーザー名').fill('bunka');
    await page.getByLabel('パスワード').fill(`wrong-password-${i}`);
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.waitForFunction(() => !document.querySelector('.signin button[type=submit]').disabled);
  }
  assert.match(await status.textContent(), /ロックされています/);
  await page.context().setOffline(true);
  await page.getByLabel('パスワード').fill('anything-at-all');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForFunction(() => /インターネットに接続されていません/.test(document.querySelector('.signin .status').textContent));
  await page.context().close();
});

test('an ended session brings back the sign-in form with a message', async () => {
  const page = await openStaff(env);
  await signIn(page, 'planner');
  await page.context().clearCookies();
  await page.getByLabel('申請理由').fill('確認');
  await page.getByRole('button', { name: '申請する' }).click();
  const status = page.locator('.signin .status.is-error');
  await status.waitFor({ timeout: 30_000 });
  assert.match(await status.textContent(), /セッションの有効期限が切れました/);
  await page.context().close();
});

test('English is available and sets lang', async () => {
  const page = await openStaff(env, { viewport: VIEWPORTS.phone });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Staff sign-in' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.ok(await page.getByLabel('User name').isVisible());
  await mapReady(page);
  await page.locator('li[data-layer="shelters"]').waitFor();
  assert.match(await page.locator('li[data-layer="shelters"]').textContent(), /Evacuation shelters/);
  await screenshot(page, 'staff-phone-english');
  await page.context().close();
});

test('sign-in works from the keyboard alone, with a visible focus ring', async () => {
  const page = await openStaff(env);
  await page.getByLabel('ユーザー名').focus();
  await page.keyboard.type('planner');
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'focused field shows an outline');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator('[data-user="planner"]').waitFor({ timeout: 30_000 });
  await page.context().close();
});
