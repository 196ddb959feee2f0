// The viewer is served, loads MapLibre from our own assets, and never leaves the machine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newPage, openMap, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

for (const path of ['/', '/staff']) {
  test(`${path} loads the map from local assets only`, async () => {
    const page = await newPage(env);
    await openMap(env, page, path);
    assert.deepEqual(page.offsite, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.context().close();
  });
}
