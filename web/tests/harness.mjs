// Shared test harness for the browser tests: starts the real server on the sample data in a
// fresh data directory, launches Debian's Chromium through playwright-core, and gives pages
// that can never reach the internet.
//
// Environment:
//   KASHIMAP_BIN   the server binary [default: ../target/debug/kashimap, or $CARGO_TARGET_DIR]
//   CHROMIUM       the browser       [default: `command -v chromium`]
//   ARTIFACTS      where screenshots and PDFs go [default: web/test-results]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = process.env.ARTIFACTS ?? join(ROOT, 'web', 'test-results');
export const PASSWORD = 'kashima-test-password-1';

/** Phone (360×640, the smallest the viewer supports) and desktop viewports. */
export const VIEWPORTS = {
  phone: { width: 360, height: 640 },
  desktop: { width: 1280, height: 800 },
};

/** Users each test file can sign in as (all share PASSWORD). */
export const USERS = {
  suido: { roles: ['suido'], department: '水道課' },
  bunka: { roles: ['bunka'], department: '生涯学習課' },
  planner: { roles: ['toshi'], department: '都市建設課' },
  staff: { roles: [], department: '企画課' },
  admin: { roles: ['admin'], department: '総務課' },
};

function serverBin() {
  if (process.env.KASHIMAP_BIN) return process.env.KASHIMAP_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  return join(target, 'debug', 'kashimap');
}

function chromiumBin() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed (apt-get install chromium)');
  }
}

async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function addUsers(bin, dataDir) {
  for (const [name, u] of Object.entries(USERS)) {
    const args = ['--data-dir', dataDir, 'user', 'add', name, '--department', u.department];
    for (const r of u.roles) args.push('--role', r);
    args.push('--password-stdin');
    execFileSync(bin, args, { cwd: ROOT, input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  }
}

async function waitReady(base, child, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`kashimap exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`kashimap did not become ready within ${ms} ms`);
}

/**
 * Start a server with the sample layers in a fresh data directory, and a browser.
 * Call `stop()` in `after()`.
 */
export async function start() {
  const executablePath = chromiumBin();
  const bin = serverBin();
  const dataDir = mkdtempSync(join(tmpdir(), 'kashimap-web-'));
  addUsers(bin, dataDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', process.env.KASHIMAP_LOG ? 'inherit' : 'ignore'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  let browser;
  try {
    await waitReady(base, server);
    browser = await launchBrowser(executablePath);
  } catch (e) {
    server.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    base,
    browser,
    dataDir,
    async stop() {
      await browser.close();
      server.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium, headless, with the flags that keep it off the network. `launch()` gives
 * every run a fresh temporary user-data-dir of its own (Playwright refuses the flag itself).
 */
function launchBrowser(executablePath) {
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A new page in its own context at `viewport`. Every request off this server is answered
 * with 404 and recorded in `page.offsite`, so a test can assert nothing left the machine.
 * `page.requests` records every URL the page asked for. The service worker (web/public/sw.js)
 * is blocked unless `serviceWorkers: 'allow'` is passed: requests it makes are not seen by
 * `page.route`, so tests that stub responses would be bypassed.
 */
export async function newPage(env, { viewport = VIEWPORTS.desktop, locale = 'ja-JP', serviceWorkers = 'block', ...opts } = {}) {
  const context = await env.browser.newContext({ viewport, locale, serviceWorkers, ...opts });
  const page = await context.newPage();
  page.requests = [];
  page.offsite = [];
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    page.requests.push(url);
    if (url.startsWith(env.base) || url.startsWith('data:') || url.startsWith('blob:')) {
      return route.continue();
    }
    page.offsite.push(url);
    return route.fulfill({ status: 404, body: '' });
  });
  return page;
}

/** Open `path` (e.g. `/` or `/staff`) with the blank basemap, and wait for the map to load. */
export async function openMap(env, page, path = '/', hash = '') {
  const sep = path.includes('?') ? '&' : '?';
  await page.goto(`${env.base}${path}${sep}basemap=none${hash}`);
  await mapIdle(page);
}

/**
 * Wait until the map has drawn all it has: style and tiles loaded, symbols placed, no camera
 * move under way (MapLibre's `idle`, after a fresh frame). `loaded()` alone is true before the
 * symbol placement of the last tiles is done, so `queryRenderedFeatures` right after it can
 * miss icons on a loaded machine.
 */
export async function mapIdle(page, timeout = 30_000) {
  await page.waitForFunction(() => window.kashimapMap?.loaded() && window.kashimapMap.areTilesLoaded(), null, { timeout });
  await page.evaluate(
    (ms) =>
      new Promise((resolve, reject) => {
        const map = window.kashimapMap;
        const timer = setTimeout(() => reject(new Error(`the map was not idle within ${ms} ms`)), ms);
        map.once('idle', () => {
          clearTimeout(timer);
          resolve();
        });
        map.triggerRepaint();
      }),
    timeout,
  );
}

/** Save a screenshot under ARTIFACTS as `<name>.png`. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/** Run axe-core in the page and return its violations (WCAG 2.0/2.1 A and AA rules). */
export async function axe(page) {
  // Evaluated through the DevTools protocol, not as a <script>: the server's CSP allows no
  // inline script, and the page under test keeps its CSP.
  const source = readFileSync(join(ROOT, 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
}

/** Replace window.print (from the next navigation on) by a counter, `window.printed`. */
export async function stubPrint(page) {
  await page.addInitScript(() => {
    window.print = () => {
      window.printed = (window.printed ?? 0) + 1;
    };
  });
}

/** The parts of the print layout (#km-print) the tests check. */
export function printLayout(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(`#km-print ${s}`);
    return {
      title: q('h1')?.textContent,
      date: q('.km-print-date')?.textContent,
      scale: q('.km-print-scale')?.textContent,
      north: Boolean(q('.km-print-north svg')),
      legend: document.querySelectorAll('#km-print .km-print-legend li').length,
      groups: [...document.querySelectorAll('#km-print .km-print-legend-group h3')].map((e) => e.textContent),
      sources: q('.km-print-attrib')?.textContent,
      img: q('img')?.src.length,
      labels: Number(document.querySelector('#km-print')?.dataset.labels ?? 0),
      mapMm: [q('.km-print-map')?.style.width, q('.km-print-map')?.style.height].map((v) => Number.parseFloat(v ?? '0')),
    };
  });
}

/** The PDF page size in points from its MediaBox, e.g. [595, 842] for A4 portrait. */
export function pdfPageSize(path) {
  const box = /\/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]/.exec(readFileSync(path, 'latin1'));
  return [Math.round(box[1]), Math.round(box[2])];
}

/** A plain 256×256 PNG tile of one grey (for the stubbed basemap). */
function greyTile(value = 0xee) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const size = 256;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = Buffer.alloc(size * (size + 1), value);
  for (let y = 0; y < size; y += 1) rows[y * (size + 1)] = 0; // filter: none
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Open `path` WITH the GSI basemap in its style, its tiles answered here by a grey tile (so
 * nothing leaves the machine); `page.basemapTiles` counts them. Waits for the map to load.
 */
export async function openMapWithBasemap(env, page, path = '/', hash = '') {
  const tile = greyTile();
  page.basemapTiles = 0;
  await page.route('https://cyberjapandata.gsi.go.jp/**', (route) => {
    page.basemapTiles += 1;
    return route.fulfill({ status: 200, contentType: 'image/png', body: tile });
  });
  await page.goto(`${env.base}${path}${hash}`);
  await mapIdle(page);
}
