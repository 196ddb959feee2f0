// First load of the public map (/) and of 防災モード (/?mode=bousai) on a busy phone network,
// measured in Chromium through the DevTools protocol: Fast 3G (1.6 Mbit/s down, 750 kbit/s
// up, 150 ms RTT), 4× CPU slowdown, a 360×640 viewport, an empty cache. Prints, per page, the
// bytes on the wire (sum of encodedDataLength) and the decoded bytes, until the milestone and
// in all after the network is quiet, and the time from navigation to the milestone:
//   /              the first vector tile drawn (a data feature rendered on the map)
//   /?mode=bousai  the nearest-shelters list shown (performance mark kashimap:shelters-shown)
// A benchmark, not a test: it prints numbers (docs/benchmarks.md has them with the command).
//
// Usage (after `cd web && npm run build`, with a built server binary):
//   node bench/first_load.mjs [--runs 3] [--bin target/debug/kashimap] [--config FILE]
// (--config is passed to `kashimap serve`, e.g. a `web_dir` without the .br/.gz copies to
// measure the uncompressed "before")
// The basemap is left out (?basemap=none): GSI's tiles come from the internet, and the
// figures are about what this server sends.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const ROOT = resolve(import.meta.dirname, '..');
const require = createRequire(join(ROOT, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    bin: { type: 'string', default: join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'kashimap') },
    config: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const FAST_3G = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const HERE = { latitude: 33.1031, longitude: 130.0987 };

async function freePort() {
  return new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), 'kashimap-bench-'));
  const port = await freePort();
  const config = args.config ? ['--config', resolve(args.config)] : [];
  const child = spawn(args.bin, [...config, 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], { cwd: ROOT, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return { base, stop: () => (child.kill('SIGTERM'), rmSync(dataDir, { recursive: true, force: true })) };
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not start');
}

/** One cold load of `path`; resolves with bytes and the milestone time. */
async function load(browser, base, path, milestone) {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, geolocation: HERE, permissions: ['geolocation'], serviceWorkers: 'block' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', FAST_3G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const wire = new Map();
  const decoded = new Map();
  cdp.on('Network.dataReceived', (e) => decoded.set(e.requestId, (decoded.get(e.requestId) ?? 0) + e.dataLength));
  cdp.on('Network.loadingFinished', (e) => wire.set(e.requestId, e.encodedDataLength));
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  await page.goto(`${base}${path}`, { waitUntil: 'commit' });
  const ms = await milestone(page);
  const atMilestone = { wire: sum(wire), decoded: sum(decoded), requests: wire.size };
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const all = { wire: sum(wire), decoded: sum(decoded), requests: wire.size };
  await context.close();
  return { ms, atMilestone, all };
}

const firstTile = (page) =>
  page.waitForFunction(
    () => {
      const m = window.kashimapMap;
      if (!m?.isStyleLoaded?.()) return false;
      const ids = new Set(Object.keys(m.getStyle().sources));
      const drawn = m.queryRenderedFeatures().some((f) => ids.has(f.source) && f.source !== 'gsi');
      return drawn ? performance.now() : false;
    },
    null,
    { polling: 50, timeout: 120_000 },
  ).then((h) => h.jsonValue());

const sheltersShown = (page) =>
  page.waitForFunction(() => performance.getEntriesByName('kashimap:shelters-shown')[0]?.startTime ?? false, null, {
    polling: 50,
    timeout: 120_000,
  }).then((h) => h.jsonValue());

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;

const server = await startServer();
const chromiumPath = process.env.CHROMIUM ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const pages = [
    ['/?basemap=none#15/33.1031/130.0987', 'first vector tile drawn', firstTile],
    ['/?mode=bousai&hazard=flood', 'nearest shelters listed', sheltersShown],
  ];
  console.log(`Fast 3G (1.6 Mbit/s, 150 ms RTT), CPU 4x slower, 360x640, cold cache; median of ${RUNS} runs`);
  for (const [path, what, milestone] of pages) {
    const runs = [];
    for (let i = 0; i < RUNS; i += 1) runs.push(await load(browser, server.base, path, milestone));
    const m = (f) => median(runs.map(f));
    console.log(
      `${path.split('#')[0].padEnd(28)} ${what}: ${(m((r) => r.ms) / 1000).toFixed(2)} s; ` +
        `on the wire ${kb(m((r) => r.atMilestone.wire))} by then (${kb(m((r) => r.atMilestone.decoded))} decoded, ${m((r) => r.atMilestone.requests)} requests), ` +
        `${kb(m((r) => r.all.wire))} in all (${kb(m((r) => r.all.decoded))} decoded, ${m((r) => r.all.requests)} requests)`,
    );
  }
} finally {
  await browser.close();
  server.stop();
}
