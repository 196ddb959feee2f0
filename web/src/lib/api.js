// The server API for both pages: fetch with a timeout, Japanese error messages (the server's
// own `message_ja` first), JSON and multipart bodies, the staff page's session-expiry hook, and
// small helpers for the endpoints the viewers use (docs/api.md). Layer metadata is cached.
import { getLang, t } from './i18n.js';
import './strings.js';

/** Default time limit for one request, in milliseconds. */
export const TIMEOUT_MS = 15_000;

/**
 * A failed request. `kind` is 'offline' | 'timeout' | 'network' | 'http'; `message` is
 * ready to show to people (current language, Japanese first); `status` is the HTTP status
 * for 'http', `code` the server's error code (`error` in its JSON body) and `body` that body.
 */
export class ApiError extends Error {
  constructor(kind, message, status = 0, body = null) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.body = body;
    this.code = body?.error ?? kind;
  }
}

const expiredListeners = new Set();

/**
 * Call `fn(error)` when a request made with `session: true` gets 401: the sign-in ended
 * (staff page). Returns a function that unsubscribes.
 * @param {(e: ApiError) => void} fn
 */
export function onSessionExpired(fn) {
  expiredListeners.add(fn);
  return () => expiredListeners.delete(fn);
}

/**
 * @typedef {object} RequestOptions
 * @property {string} [method]          'GET' by default
 * @property {unknown} [json]           a body sent as JSON
 * @property {FormData} [form]          a multipart body (uploads)
 * @property {number} [timeout]         milliseconds, TIMEOUT_MS by default
 * @property {AbortSignal} [signal]
 * @property {RequestCredentials} [credentials]  'same-origin' by default; 'omit' asks as the public
 * @property {boolean} [session]        true (default): a 401 means the session ended, when a
 *   page listens (onSessionExpired); false for sign-in itself and `/auth/me`
 * @property {(res: Response) => void} [onResponse]  sees the response (its headers) before parsing
 */

/**
 * Fetch `url` with a time limit and parse the JSON answer (null for 204). Throws ApiError
 * with a message for people: the server's `message_ja` (or `message` in English), else a
 * text for the status.
 * @param {string} url
 * @param {RequestOptions} [opts]
 * @returns {Promise<any>}
 */
export async function request(url, { method = 'GET', json, form, timeout = TIMEOUT_MS, signal, credentials = 'same-origin', session = true, onResponse } = {}) {
  // offline: fail at once, unless a service worker may answer from the device's copy
  if (navigator.onLine === false && !navigator.serviceWorker?.controller) throw new ApiError('offline', t('net.offline'));
  const init = { method, credentials, headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  const res = await timedFetch(url, init, timeout, signal);
  onResponse?.(res);
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.ok) return body;
  const err = new ApiError('http', errorMessage(res.status, body), res.status, body);
  if (res.status === 401 && session && expiredListeners.size) {
    err.message = t('net.expired');
    for (const fn of expiredListeners) fn(err);
  }
  throw err;
}

/**
 * GET `url` as JSON with a time limit. Throws ApiError with a message for people.
 * @param {string} url
 * @param {RequestOptions} [opts]
 * @returns {Promise<any>}
 */
export function getJson(url, opts = {}) {
  return request(url, { ...opts, method: 'GET' });
}

/** `fetch` with a time limit and an outer signal; network failures become ApiError. */
async function timedFetch(url, init, timeout, signal) {
  // AbortSignal.any / .timeout are missing on phones a few years old (iOS < 17.4): by hand.
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeout);
  const forward = () => ctrl.abort();
  signal?.addEventListener('abort', forward, { once: true });
  try {
    return await fetch(url, { ...init, signal: ctrl.signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    if (timedOut) throw new ApiError('timeout', t('net.timeout'));
    const offline = navigator.onLine === false;
    throw new ApiError(offline ? 'offline' : 'network', t(offline ? 'net.offline' : 'net.failed'));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

/** Statuses with their own text when the server's body says nothing readable. */
const STATUS_TEXT = { 401: 'net.unauthorized', 403: 'net.forbidden', 404: 'net.notFound', 409: 'net.conflict', 413: 'net.tooLarge', 429: 'net.tooMany' };

function errorMessage(status, body) {
  if (status === 404) return t('net.notFound');
  if (body && typeof body === 'object') {
    if (body.message_ja && getLang() === 'ja') return body.message_ja;
    if (body.message) return body.message;
    if (body.message_ja) return body.message_ja;
  }
  return STATUS_TEXT[status] ? t(STATUS_TEXT[status]) : t('net.server', { status });
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, String(v));
  return q.toString();
}

/** `/api/at`: what applies at a point; `hazard` keeps shelters for that hazard. */
export function at(lon, lat, hazard, opts) {
  return getJson(`/api/at?${query({ lon: fix(lon), lat: fix(lat), hazard })}`, opts);
}

/** `/api/nearest`: the k nearest features of a layer (GeoJSON with distance_m). */
export function nearest(layer, lon, lat, { k = 5, hazard, ...opts } = {}) {
  return getJson(`/api/nearest?${query({ layer, lon: fix(lon), lat: fix(lat), k, hazard })}`, opts);
}

/** `/api/search`: names, addresses and 地番 in the visible layers (`offset` pages on). */
export function search(q, { limit = 20, offset, ...opts } = {}) {
  return getJson(`/api/search?${query({ q, limit, offset })}`, opts);
}

/** One full feature from the OGC API (404 if absent or not visible). */
export function feature(layer, id, opts) {
  return getJson(`/ogc/collections/${encodeURIComponent(layer)}/items/${encodeURIComponent(id)}`, opts);
}

/** All features of a layer the caller may see (first `limit`). */
export function items(layer, { limit = 1000, ...opts } = {}) {
  return getJson(`/ogc/collections/${encodeURIComponent(layer)}/items?limit=${limit}`, opts);
}

function fix(x) {
  return Number(x).toFixed(6);
}

const infoCache = new Map();

/**
 * @typedef {object} LayerInfo
 * @property {string} id
 * @property {{ja: string, en: string}} title
 * @property {string} attribution   TileJSON attribution (plain text or HTML from our server)
 * @property {string} description
 * @property {Record<string, {type: string, title?: string, unit?: string}>} fields
 *   the attributes the caller may see; the key is the Japanese name, `title` the English one
 * @property {string | null} label  the attribute that names a feature, when visible
 */

/**
 * Titles, attribution and visible fields of a layer, from its OGC collection, queryables and
 * TileJSON. Cached for the page. Never rejects: missing parts fall back to the id.
 * @param {string} id
 * @returns {Promise<LayerInfo>}
 */
export function layerInfo(id) {
  if (!infoCache.has(id)) infoCache.set(id, loadLayerInfo(id));
  return infoCache.get(id);
}

async function loadLayerInfo(id) {
  const enc = encodeURIComponent(id);
  const [coll, qs, tj] = await Promise.all([
    getJson(`/ogc/collections/${enc}`).catch(() => null),
    getJson(`/ogc/collections/${enc}/queryables`).catch(() => null),
    getJson(`/tiles/${enc}.json`).catch(() => null),
  ]);
  const fields = { ...(qs?.properties ?? {}) };
  delete fields.geometry;
  for (const f of Object.values(fields)) if (f['x-ogc-unit']) f.unit = f['x-ogc-unit'];
  const label = qs?.['x-kashimap-label'] ?? null;
  return {
    id,
    title: coll?.titles ?? { ja: coll?.title ?? tj?.name ?? id, en: tj?.description ?? id },
    attribution: tj?.attribution ?? coll?.attribution ?? '',
    description: coll?.description ?? '',
    fields,
    label,
  };
}

const publicCache = new Map();

/**
 * The attribute names of layer `id` that anyone may see: the queryables as an anonymous
 * caller gets them (`credentials: 'omit'`; the server varies on the cookie). Empty for a
 * layer the public cannot see (404); null when it could not be asked (offline), so nothing
 * is marked by mistake. The staff page marks the other attributes 職員限定.
 * @param {string} id
 * @returns {Promise<Set<string> | null>}
 */
export function publicFields(id) {
  if (!publicCache.has(id)) {
    const url = `/ogc/collections/${encodeURIComponent(id)}/queryables`;
    const names = getJson(url, { credentials: 'omit' }).then(
      (qs) => new Set(Object.keys(qs?.properties ?? {}).filter((n) => n !== 'geometry')),
      (e) => (e.status === 404 ? new Set() : null),
    );
    publicCache.set(id, names);
  }
  return publicCache.get(id);
}
