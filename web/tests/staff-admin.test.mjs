// Departments running their own layers: a file whose columns differ from the layer's gets the
// column-mapping table and uploads again; a 6-row file that would replace 59 shelters needs a
// second, explicit confirmation; an administrator changes a user's roles on the accounts page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, newPage, openMap, screenshot, start } from './harness.mjs';
import { addUser, apiCookie, getJson, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
  addUser(env, 'bousai', ['bousai'], { department: '総務課' });
});
after(async () => env?.stop());

/** /staff with every dialog's text kept (and accepted, or refused when `refuse` matches). */
async function openStaffWithDialogs(refuse = null) {
  const page = await newPage(env);
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    if (refuse && refuse.test(d.message())) d.dismiss();
    else d.accept();
  });
  await openMap(env, page, '/staff');
  return { page, dialogs };
}

/** The shelters' CSV export, rewritten: 名称 as 施設名 and flags as GSI's '1'/''. */
async function shelterCsv(cookie, rows = Infinity) {
  const res = await fetch(`${env.base}/api/layers/shelters/export.csv`, { headers: { Cookie: cookie } });
  const lines = (await res.text()).split('\r\n').filter(Boolean);
  const header = lines[0].replace('名称', '施設名');
  const body = lines.slice(1, 1 + rows).map((l) => l.replace(/,true(?=,|$)/g, ',1').replace(/,false(?=,|$)/g, ','));
  return [header, ...body].join('\r\n') + '\r\n';
}

async function upload(page, name, text) {
  await page.getByLabel('レイヤー', { exact: true }).selectOption('shelters');
  await page.getByLabel(/^ファイル/).setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByRole('button', { name: 'アップロードして検証' }).click();
  await page.locator('#panel-uploads .report').waitFor({ timeout: 60_000 });
}

test('a file with other column names is mapped in the form, then a large drop needs a second confirmation', async () => {
  const cookie = await apiCookie(env, 'bousai');
  const { page, dialogs } = await openStaffWithDialogs();
  await signIn(page, 'bousai');

  await upload(page, 'shelters-renamed.csv', await shelterCsv(cookie));
  const table = page.locator('#panel-uploads form.mapping');
  await table.waitFor();
  const select = table.getByLabel('名称', { exact: true });
  assert.equal(await select.inputValue(), '施設名', 'the likeliest column is suggested');
  assert.ok(await table.locator('.map-suggested').count(), 'marked as a suggestion');
  assert.match(await page.locator('#panel-uploads .report').textContent(), /名称/);
  assert.equal(await page.locator('#panel-uploads .report code').count(), 0, 'no raw codes in the report');
  await table.scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-upload-mapping');
  assert.deepEqual(await axe(page), [], 'the mapping table');

  await table.getByRole('button', { name: 'この対応でもう一度アップロード' }).click();
  await page.locator('#panel-uploads .report.is-accepted').waitFor({ timeout: 60_000 });
  const report = await page.locator('#panel-uploads .report').textContent();
  assert.match(report, /施設名 → 名称（指定した対応）/);
  assert.match(report, /59件 → 59件/);
  assert.equal(await page.locator('#panel-uploads form.mapping').count(), 0, 'every field found its column');
  await page.getByRole('button', { name: 'この版を破棄' }).first().click();
  await page.locator('#panel-uploads .status', { hasText: '破棄しました' }).waitFor();
  assert.match(dialogs.at(-1), /「避難所」の未公開の版/);

  // Six rows for 59 shelters: the report and both dialogs say so.
  await upload(page, 'six.csv', (await shelterCsv(cookie, 6)).replace('施設名', '名称'));
  const six = await page.locator('#panel-uploads .report').textContent();
  assert.match(six, /59件 → 6件（追加 0・削除 53・変更 0）/);
  assert.match(six, /90% 減ります/);
  // The staged version can be looked at on the map before publishing.
  await page.getByRole('button', { name: '地図で確認' }).click();
  await page.locator('#panel-uploads .status', { hasText: '未公開の版（6件）' }).waitFor();
  await page.waitForFunction(() => window.kashimapMap.getSource('km-preview')?._data?.features?.length === 6 || window.kashimapMap.querySourceFeatures('km-preview').length > 0);
  await page.locator('#panel-uploads .report').scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-upload-drop');
  const before = dialogs.length;
  await page.getByRole('button', { name: 'この版を公開' }).click();
  await page.locator('#panel-uploads .status', { hasText: '公開しました' }).waitFor({ timeout: 60_000 });
  const asked = dialogs.slice(before);
  assert.equal(asked.length, 2, asked.join('\n'));
  assert.match(asked[0], /「避難所」を公開します: 59件 → 6件/);
  assert.match(asked[1], /59件 → 6件/);
  assert.match(asked[1], /監査ログ/);
  const items = await getJson(env, cookie, '/ogc/collections/shelters/items?limit=1');
  assert.equal(items.numberMatched, 6);
  const admin = await apiCookie(env, 'admin');
  const audit = await getJson(env, admin, '/api/audit?layer=shelters&kind=publish');
  assert.ok(
    audit.entries.some((e) => e.detail.action === 'upload.drop_confirmed' && e.user === 'bousai'),
    JSON.stringify(audit.entries.map((e) => e.detail)),
  );
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test('an administrator changes roles and an expiry on the accounts page, and sees prints counted', async () => {
  addUser(env, 'ido', ['suido'], { department: '水道課' });
  const suido = await apiCookie(env, 'suido');
  const printed = await fetch(`${env.base}/api/prints`, {
    method: 'POST',
    headers: { Cookie: suido, Origin: env.base, 'Content-Type': 'application/json' },
    body: JSON.stringify({ layers: ['pipes'], bbox: [130.08, 33.09, 130.12, 33.12], paper: 'A4 landscape' }),
  });
  assert.equal(printed.status, 200);
  const { page } = await openStaffWithDialogs();
  await signIn(page, 'admin');
  const panel = page.locator('#panel-users');
  const row = panel.locator('li[data-account="ido"]');
  await row.waitFor();
  await row.getByLabel('ido 役割（スペース区切り）').fill('toshi bousai');
  await row.getByLabel('ido 課名').fill('都市建設課');
  await row.getByLabel('ido 有効期限（最終日）').fill('2099-03-31');
  await row.getByRole('button', { name: '保存' }).click();
  await panel.locator('.status', { hasText: 'ido を更新しました' }).waitFor();
  const cookie = await apiCookie(env, 'admin');
  const users = await getJson(env, cookie, '/api/admin/users');
  const ido = users.users.find((u) => u.name === 'ido');
  assert.deepEqual(ido.roles, ['bousai', 'toshi']);
  assert.equal(ido.department, '都市建設課');
  assert.equal(ido.expires, '2099-03-31T15:00:00Z');
  assert.equal(await panel.locator('li[data-account="ido"]').getByLabel('ido 有効期限（最終日）').inputValue(), '2099-03-31');

  // A bad role is refused with a message, and nothing changes.
  await panel.locator('li[data-account="ido"]').getByLabel('ido 役割（スペース区切り）').fill('Bad Role');
  await panel.locator('li[data-account="ido"]').getByRole('button', { name: '保存' }).click();
  await panel.locator('.status.is-error').waitFor();
  assert.deepEqual((await getJson(env, cookie, '/api/admin/users')).users.find((u) => u.name === 'ido').roles, ['bousai', 'toshi']);

  // A contractor is added with a last day; the first password is shown once.
  await panel.getByLabel('ユーザー名').fill('gyosha2');
  await panel.getByLabel('役割（スペース区切り）', { exact: true }).fill('contractor');
  await panel.getByLabel('有効期限（最終日）', { exact: true }).fill('2099-12-31');
  await panel.getByLabel('受託者（職員ではない）').check();
  await panel.getByRole('button', { name: '利用者を追加' }).click();
  await panel.locator('.status', { hasText: 'gyosha2 を追加しました' }).waitFor();
  await panel.locator('li[data-account="gyosha2"]').waitFor();
  assert.match(await panel.locator('li[data-account="gyosha2"]').textContent(), /受託者/);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, 'staff-users');
  assert.deepEqual(await axe(page), [], 'the accounts page');
  const usage = page.locator('#panel-usage tr[data-layer="pipes"]');
  await usage.waitFor();
  assert.match(await usage.textContent(), /水道管路\s*1/);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
