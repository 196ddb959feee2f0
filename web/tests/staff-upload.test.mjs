// Upload → validation report → publish → version history → rollback, as the water department.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, screenshot, start } from './harness.mjs';
import { apiCookie, getJson, openStaff, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

/** A pipes GeoJSON with a deliberate problem: a point where the layer has lines. */
const BAD = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [130.1, 33.1] },
      properties: { 管路番号: 'X-1', 管種: 'DIP', 口径: 100, 布設年度: 2020, 用途: '配水管', 延長: 10, 土被り: 1.2 },
    },
  ],
};

async function upload(page, name, body, { wait = '#panel-uploads .report' } = {}) {
  await page.getByLabel('レイヤー', { exact: true }).selectOption('pipes');
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  await page.getByLabel(/^ファイル/).setInputFiles({ name, mimeType: 'application/geo+json', buffer: Buffer.from(text) });
  await page.getByRole('button', { name: 'アップロードして検証' }).click();
  await page.locator(wait).waitFor({ timeout: 60_000 });
}

async function count(cookie, material) {
  const q = new URLSearchParams({ 管種: material, limit: '1' });
  const items = await getJson(env, cookie, `/ogc/collections/pipes/items?${q}`);
  return items.numberMatched;
}

test('bad and broken files get readable Japanese answers; a good one publishes and rolls back', async () => {
  const cookie = await apiCookie(env, 'suido');
  const page = await openStaff(env);
  await signIn(page, 'suido');

  await upload(page, 'bad-pipes.geojson', BAD);
  const report = page.locator('#panel-uploads .report');
  assert.match(await report.locator('.verdict').textContent(), /公開できません/);
  const problems = await report.locator('.problem.sev-error').allTextContents();
  assert.ok(problems.length > 0, 'errors are listed');
  assert.ok(problems.some((p) => /エラー/.test(p) && /[ぁ-んァ-ヶ一-龠]/.test(p)), problems.join('\n'));
  assert.match(await page.locator('#panel-uploads .status').textContent(), /受け付けられませんでした/);
  assert.equal(await page.getByRole('button', { name: 'この版を公開' }).count(), 0);
  await page.locator('#panel-uploads').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-upload-refused');
  assert.deepEqual(await axe(page), [], 'the refused report');

  await upload(page, 'broken.geojson', '{"type": "FeatureCollection", "features": [ {"type": ', { wait: '#panel-uploads .status.is-error' });
  const broken = await page.locator('#panel-uploads .status').textContent();
  assert.match(broken, /[ぁ-んァ-ヶ一-龠]/, `a Japanese message: ${broken}`);
  assert.match(await page.locator('#panel-uploads .upload-result').textContent(), /1 行目/);

  const data = await getJson(env, cookie, '/api/layers/pipes/export.geojson');
  data.features[0].properties.管種 = 'テスト管';
  await upload(page, 'pipes-v2.geojson', data);
  assert.match(await report.locator('.verdict').textContent(), /公開できます/);
  assert.match(await report.textContent(), new RegExp(`公開 ${data.features.length} 件`));
  await page.getByRole('button', { name: 'この版を公開' }).click();
  await page.locator('#panel-uploads li[data-version="2"][data-current="true"]').waitFor();
  assert.match(await page.locator('#panel-uploads .status').textContent(), /版 2 を公開しました/);
  assert.equal(await count(cookie, 'テスト管'), 1);
  await page.waitForFunction(() => window.kashimapMap.getSource('pipes').tiles?.[0]?.includes('v='));
  await screenshot(page, 'staff-upload-published');

  await page.locator('#panel-uploads li[data-version="1"]').getByRole('button', { name: 'この版に戻す' }).click();
  await page.locator('#panel-uploads li[data-version="1"][data-current="true"]').waitFor();
  assert.equal(await count(cookie, 'テスト管'), 0);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
