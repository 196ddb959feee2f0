// かしまっぷ service worker (hand-written, no library): keeps what a citizen needs when the
// network fails during a disaster, after one visit with a network.
//
// - Installing caches the 防災モード page (/?mode=bousai) with the files it names and the
//   shelter list, so 防災モード opens offline whichever page was visited first.
// - Pages: network first, then the device's copy.
// - /assets/* (content-hashed, never change) and /static/*: the device's copy first.
// - Data (shelters, /api/*, tiles, styles): network first, with a time limit when a copy is
//   kept; every copy is stamped with the time it was saved (header x-kashimap-saved-at), and a
//   copy served instead of the network says so (x-kashimap-from-cache: 1), so pages can tell
//   people that they see the device's copy and how old it is.
// - Tiles are kept for the last viewed area (the most recent MAX_TILES).
const VERSION = 'v1';
const SHELL = `kashimap-shell-${VERSION}`;
const DATA = `kashimap-data-${VERSION}`;
const TILES = `kashimap-tiles-${VERSION}`;
const MAX_TILES = 400;
/** How long to wait for the network before answering from a kept copy (congested networks). */
const PATIENCE_MS = 6000;
const SHELTERS = '/ogc/collections/shelters/items?limit=1000';
const BOUSAI = '/?mode=bousai';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL);
      const page = await fetch(BOUSAI, { cache: 'no-cache' });
      if (!page.ok) return;
      const html = await page.clone().text();
      const files = [...new Set(html.match(/\/(?:assets|static)\/[^"'\s)]+/g) ?? [])];
      await shell.put(BOUSAI, page);
      await Promise.all(files.map((f) => shell.add(f).catch(() => undefined)));
      await saveCopy(await caches.open(DATA), new Request(SHELTERS), await fetch(SHELTERS).catch(() => null));
    })().catch(() => undefined),
  );
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const keep = [SHELL, DATA, TILES];
      for (const name of await caches.keys()) if (!keep.includes(name)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') event.respondWith(page(req, url));
  else if (/^\/(assets|static)\//.test(url.pathname)) event.respondWith(keptFirst(req));
  else if (/^\/tiles\/.+\/\d+\/\d+\/\d+/.test(url.pathname)) event.respondWith(data(event, req, TILES));
  else if (/^\/(api\/(at|nearest|search)|ogc\/collections\/shelters\/items|styles\/|tiles\/)/.test(url.pathname)) {
    event.respondWith(data(event, req, DATA));
  }
});

/** The key a page is kept under: the path and its mode, without the rest of the query. */
function pageKey(url) {
  const mode = url.searchParams.get('mode');
  return url.pathname + (mode ? `?mode=${mode}` : '');
}

async function page(req, url) {
  const shell = await caches.open(SHELL);
  try {
    const res = await fetch(req);
    if (res.ok) await shell.put(pageKey(url), res.clone());
    return res;
  } catch (e) {
    const kept = await shell.match(pageKey(url));
    if (kept) return kept;
    throw e;
  }
}

async function keptFirst(req) {
  const shell = await caches.open(SHELL);
  const kept = await shell.match(req);
  if (kept) return kept;
  const res = await fetch(req);
  if (res.ok) await shell.put(req, res.clone());
  return res;
}

/** Keep a copy of a response (give a clone: its body is read) stamped with the time it was saved. */
async function saveCopy(cache, req, res) {
  if (!res?.ok) return;
  const headers = new Headers(res.headers);
  headers.set('x-kashimap-saved-at', new Date().toISOString());
  const body = await res.arrayBuffer();
  await cache.put(req, new Response(body, { status: res.status, statusText: res.statusText, headers }));
}

/** A kept copy marked as served instead of the network. */
async function fromCopy(kept) {
  const headers = new Headers(kept.headers);
  headers.set('x-kashimap-from-cache', '1');
  return new Response(await kept.arrayBuffer(), { status: kept.status, statusText: kept.statusText, headers });
}

async function data(event, req, name) {
  const cache = await caches.open(name);
  const kept = await cache.match(req);
  const network = fetch(req);
  // the copy is saved from a clone after the answer went to the page (an aborted or failed
  // request is simply not kept)
  event.waitUntil(
    network
      .then(async (res) => {
        await saveCopy(cache, req, res.clone());
        if (name === TILES) await trim(cache);
      })
      .catch(() => undefined),
  );
  if (!kept) return network;
  const timer = new Promise((resolve) => setTimeout(resolve, PATIENCE_MS, null));
  try {
    const res = await Promise.race([network, timer]);
    if (res) return res;
  } catch {
    // offline or failed: the kept copy below
  }
  network.catch(() => undefined);
  return fromCopy(kept);
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_TILES))) await cache.delete(k);
}
