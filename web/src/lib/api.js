// The server API for both pages: fetch with a timeout, Japanese error messages, and small
// helpers for the endpoints the viewers use (docs/api.md). Layer metadata is cached per page.
import { getLang, t } from './i18n.js';
import './strings.js';

/** Default time limit for one request, in milliseconds. */
export const TIMEOUT_MS = 15_000;

/**
 * A failed request. `kind` is 'offline' | 'timeout' | 'network' | 'http'; `message` is
 * ready to show to a citizen (current language); `status` is the HTTP status for 'http'.
 */
export class ApiError extends Error {
  constructor(kind, message, status = 0) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
  }
}

/**
 * GET `url` as JSON with a time limit. Throws ApiError with a message for people.
 * @param {string} url
 * @param {{timeout?: number, signal?: AbortSignal}} [opts]
 * @returns {Promise<any>}
 */
export async function getJson(url, { timeout = TIMEOUT_MS, signal } = {}) {
  if (navigator.onLine === false) throw new ApiError('offline', t('net.offline'));
  // AbortSignal.any / .timeout are missing on phones a few years old (iOS < 17.4): by hand.
  const ctrl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeout);
  const forward = () => ctrl.abort();
  signal?.addEventListener('abort', forward, { once: true });
  let res;
  try {
    res = await fetch(url, { signal: ctrl.signal, credentials: 'same-origin' });
  } catch (e) {
    if (signal?.aborted) throw e;
    if (timedOut) throw new ApiError('timeout', t('net.timeout'));
    throw new ApiError(navigator.onLine === false ? 'offline' : 'network', t(navigator.onLine === false ? 'net.offline' : 'net.failed'));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
  if (!res.ok) throw new ApiError('http', await errorMessage(res), res.status);
  return res.json();
}

async function errorMessage(res) {
  if (res.status === 404) return t('net.notFound');
  try {
    const body = await res.json();
    if (body.message_ja && getLang() === 'ja') return body.message_ja;
    if (body.message) return body.message;
  } catch {
    // not JSON
  }
  return t('net.server', { status: res.status });
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

/** `/api/search`: names, addresses and 地番 in the visible layers. */
export function search(q, { limit = 20, ...opts } = {}) {
  return getJson(`/api/search?${query({ q, limit })}`, opts);
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
