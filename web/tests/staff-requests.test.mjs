// 閲覧申請: a planner asks for the locked pipes layer; the water department approves it in its
// own browser context; the planner reloads and sees the pipes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axe, screenshot, start } from './harness.mjs';
import { addUser, apiCookie, getJson, mapReady, openStaff, renderedCount, signIn } from './staff-helpers.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

test('a request for a locked layer, approved with a comment, shows the layer on reload', async () => {
  const planner = await openStaff(env);
  await signIn(planner, 'planner');
  assert.equal(await planner.locator('li[data-layer="pipes"]').count(), 0, 'pipes locked at first');
  const select = planner.getByLabel('申請するレイヤー・属性');
  const value = await select.locator('option[data-layer="pipes"]').getAttribute('value');
  await select.selectOption(value);
  await planner.getByLabel('申請理由').fill('下水道工事の事前協議のため');
  await planner.getByLabel('期間（日数）').fill('14');
  await planner.getByRole('button', { name: '申請する' }).click();
  const mine = planner.locator('.req-mine li[data-status="pending"]');
  await mine.waitFor();
  assert.match(await mine.textContent(), /決裁待ち.*水道管路（全属性）.*14日間/s);

  const suido = await openStaff(env);
  await signIn(suido, 'suido');
  const pending = suido.locator('.req-pending li').first();
  await pending.waitFor();
  assert.match(await pending.textContent(), /planner.*下水道工事の事前協議のため/s);
  await pending.getByLabel('コメント').fill('工事期間中のみ承認します');
  await suido.locator('#panel-requests').scrollIntoViewIfNeeded();
  await screenshot(suido, 'staff-requests-pending');
  assert.deepEqual(await axe(suido), [], 'approver panel');
  await pending.getByRole('button', { name: '承認' }).click();
  await suido.locator('.req-pending li').first().waitFor({ state: 'detached' });
  await suido.context().close();

  await planner.reload();
  await mapReady(planner);
  const item = planner.locator('li[data-layer="pipes"]');
  await item.waitFor();
  assert.match(await item.locator('.km-badge').textContent(), /職員限定/);
  assert.ok((await renderedCount(planner, 'pipes-line')) > 0, 'pipes drawn after approval');
  const approved = planner.locator('.req-mine li[data-status="approved"]');
  await approved.waitFor();
  assert.match(await approved.textContent(), /承認.*工事期間中のみ承認します/s);
  // 「レイヤー全体」 grants what it says: the pipes with their attributes, not just the layer.
  const cookie = await apiCookie(env, 'planner');
  const me = await getJson(env, cookie, '/auth/me');
  assert.ok(me.layers.pipes.attributes.includes('口径'), JSON.stringify(me.layers.pipes));
  await planner.context().close();
});

test('a contractor sees the pipes without cover depth and may ask only for hidden attributes', async () => {
  addUser(env, 'kouji', ['contractor'], { contractor: true });
  const page = await openStaff(env);
  await signIn(page, 'kouji');
  const item = page.locator('li[data-layer="pipes"]');
  assert.match(await item.locator('.km-badge').textContent(), /職員限定/);
  assert.doesNotMatch(await item.textContent(), /土被り/);
  assert.ok((await renderedCount(page, 'pipes-line')) > 0, 'pipes drawn for the contractor');
  // the request form is mounted once the layer titles are in, not with the map
  const choices = page.getByLabel('申請するレイヤー・属性').locator('option');
  await choices.first().waitFor({ state: 'attached', timeout: 30_000 });
  const options = await choices.allTextContents();
  assert.ok(options.includes('水道管路（属性: 土被り）'), options.join('\n'));
  assert.ok(options.every((o) => /属性:/.test(o)), `never a whole hidden layer: ${options}`);
  assert.ok(await page.getByRole('button', { name: '管路図を印刷' }).isVisible());
  assert.equal(await page.locator('#panel-uploads').isVisible(), false);
  await page.context().close();
});
