// Upload → validation report → publish → version history → rollback, as the water department;
// a CSV of shelters with coordinate columns the server cannot guess, as the disaster-prevention
// department.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, screenshot, start } from './harness.mjs';
import { addUser, apiCookie, getJson, openStaff, signIn } from './staff-helpers.mjs';

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

/**
 * JGD2011 geographic → plane rectangular CS zone II (EPSG:6670), Gauss–Krüger as in GSI's
 * formulas (Kawase 2011): [easting (the surveyors' Y), northing (X)] in metres.
 */
function toZoneII(lon, lat) {
  const a = 6378137;
  const f = 1 / 298.257222101;
  const m0 = 0.9999;
  const [lat0, lon0] = [33, 131].map((d) => (d * Math.PI) / 180);
  const n = f / (2 - f);
  const A = ((m0 * a) / (1 + n)) * (1 + n ** 2 / 4 + n ** 4 / 64);
  const al = [
    n / 2 - (2 * n ** 2) / 3 + (5 * n ** 3) / 16 + (41 * n ** 4) / 180 - (127 * n ** 5) / 288,
    (13 * n ** 2) / 48 - (3 * n ** 3) / 5 + (557 * n ** 4) / 1440 + (281 * n ** 5) / 630,
    (61 * n ** 3) / 240 - (103 * n ** 4) / 140 + (15061 * n ** 5) / 26880,
    (49561 * n ** 4) / 161280 - (179 * n ** 5) / 168,
    (34729 * n ** 5) / 80640,
  ];
  const c = (2 * Math.sqrt(n)) / (1 + n);
  const project = (phi, dl) => {
    const t = Math.sinh(Math.atanh(Math.sin(phi)) - c * Math.atanh(c * Math.sin(phi)));
    const xi = Math.atan(t / Math.cos(dl));
    const eta = Math.atanh(Math.sin(dl) / Math.sqrt(1 + t * t));
    let x = xi;
    let y = eta;
    al.forEach((aj, i) => {
      const j = 2 * (i + 1);
      x += aj * Math.sin(j * xi) * Math.cosh(j * eta);
      y += aj * Math.cos(j * xi) * Math.sinh(j * eta);
    });
    return [A * y, A * x];
  };
  const [e, nth] = project((lat * Math.PI) / 180, (lon * Math.PI) / 180 - lon0);
  return [e, nth - project(lat0, 0)[1]];
}

/** CSV text: a quoted field where needed, "" for null. */
function csvLine(values) {
  return values
    .map((v) => {
      const s = v == null ? '' : String(v);
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    })
    .join(',');
}

/** The shelters as a CSV with their coordinates in zone II metres, in columns 東西 / 南北. */
function sheltersCsv(fc) {
  const names = Object.keys(fc.features[0].properties);
  const rows = fc.features.map((f) => {
    const [e, n] = toZoneII(...f.geometry.coordinates);
    return csvLine([...names.map((k) => f.properties[k]), e.toFixed(3), n.toFixed(3)]);
  });
  return [csvLine([...names, '東西', '南北']), ...rows].join('\r\n') + '\r\n';
}

function bboxOf(fc) {
  const xs = fc.features.map((f) => f.geometry.coordinates[0]);
  const ys = fc.features.map((f) => f.geometry.coordinates[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

test('a CSV with unknown coordinate column names is refused with a pointer to the column fields, then accepted with them', async () => {
  addUser(env, 'bousai', ['bousai'], { department: '防災課' });
  const cookie = await apiCookie(env, 'bousai');
  const me = await getJson(env, cookie, '/auth/me');
  assert.ok(me.uploadable.includes('shelters'), `bousai may upload: ${me.uploadable}`);
  const current = await getJson(env, cookie, '/api/layers/shelters/export.geojson');
  const csv = sheltersCsv(current);
  // a point inside Kashima lands where it should in zone II (origin 33°N 131°E)
  const [e, n] = toZoneII(130.1, 33.1);
  assert.ok(e < -83_000 && e > -85_000 && n > 10_000 && n < 12_000, `${e}, ${n}`);

  const page = await openStaff(env);
  await signIn(page, 'bousai');
  await page.getByLabel('レイヤー', { exact: true }).selectOption('shelters');
  const xField = page.getByLabel('X（経度）の列名');
  const yField = page.getByLabel('Y（緯度）の列名');
  const file = page.getByLabel(/^ファイル/);
  const submit = page.getByRole('button', { name: 'アップロードして検証' });
  // only for CSV files
  await file.setInputFiles({ name: 'shelters.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(current)) });
  assert.equal(await xField.isVisible(), false, 'hidden for GeoJSON');
  await file.setInputFiles({ name: '避難所.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await xField.waitFor();
  assert.ok(await yField.isVisible());
  assert.match(await page.locator('#panel-uploads .columns .hint').textContent(), /空欄のままで自動的に見つけます/);
  // the file's column names are offered (read from the file after the fields show)
  await page.locator('#panel-uploads .columns datalist option').first().waitFor({ state: 'attached', timeout: 30_000 });
  const suggested = await page.locator('#panel-uploads .columns datalist option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(suggested.includes('東西') && suggested.includes('南北'), suggested.join(','));
  await page.getByLabel('座標系').selectOption('EPSG:6670');

  // without the column names: the server cannot find the coordinates; the page says so and
  // points to the fields
  let posted = page.waitForResponse((r) => r.url().endsWith('/api/layers/shelters/uploads') && r.request().method() === 'POST');
  await submit.click();
  let res = await posted;
  assert.equal(res.status(), 422);
  assert.doesNotMatch(res.request().postData() ?? '', /name="x_column"/);
  const status = page.locator('#panel-uploads .status.is-error');
  await status.waitFor();
  assert.match(await status.textContent(), /座標の列が見つかりません/);
  assert.match(await page.locator('#panel-uploads .columns-advice').textContent(), /「X（経度）の列名」「Y（緯度）の列名」に入力して/);
  assert.equal(await page.getByRole('button', { name: 'この版を公開' }).count(), 0);
  await page.locator('#panel-uploads').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-upload-csv-refused');
  assert.deepEqual(await axe(page), [], 'the CSV form and its refusal');

  // one name alone is caught before sending
  await xField.fill('東西');
  let sent = 0;
  const count = (r) => r.url().endsWith('/uploads') && r.method() === 'POST' && (sent += 1);
  page.on('request', count);
  await submit.click();
  assert.match(await status.textContent(), /両方とも入力してください/);
  assert.equal(sent, 0, 'nothing sent with one column name');
  page.off('request', count);

  // with both names: accepted, every row a point, where the original shelters are
  await yField.fill('南北');
  posted = page.waitForResponse((r) => r.url().endsWith('/api/layers/shelters/uploads') && r.request().method() === 'POST');
  await submit.click();
  res = await posted;
  assert.equal(res.status(), 201, await res.text());
  const body = res.request().postData() ?? '';
  assert.match(body, /name="x_column"\r\n\r\n東西\r\n/);
  assert.match(body, /name="y_column"\r\n\r\n南北\r\n/);
  assert.match(body, /name="srs"\r\n\r\nEPSG:6670\r\n/);
  const { report } = await res.json();
  assert.equal(report.accepted, true);
  assert.equal(report.feature_count, current.features.length);
  assert.equal(report.crs.epsg, 6670);
  const want = bboxOf(current);
  report.bbox.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `bbox ${report.bbox} vs ${want}`));
  const rep = page.locator('#panel-uploads .report');
  await rep.waitFor();
  assert.match(await rep.locator('.verdict').textContent(), /公開できます/);
  assert.match(await rep.textContent(), new RegExp(`公開 ${current.features.length} 件`));
  assert.equal(await page.locator('#panel-uploads .columns-advice').count(), 0);
  await screenshot(page, 'staff-upload-csv-accepted');
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(page.offsite, []);
  await page.context().close();
});
