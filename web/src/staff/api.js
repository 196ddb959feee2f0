// Small fetch wrapper for the staff view: JSON in and out, a time limit, and errors turned into
// one `ApiError` whose `text` is a readable message in the current language.
import { lang, t } from './i18n.js';

/** An error from the server or the network, with a message fit for the user. */
export class ApiError extends Error {
  constructor(status, code, text, body = null) {
    super(text);
    this.status = status;
    this.code = code;
    this.text = text;
    this.body = body;
  }
}

const expiredListeners = new Set();

/** Call `fn` when a request that needed a session gets 401 (the session ended). */
export function onSessionExpired(fn) {
  expiredListeners.add(fn);
}

function serverText(status, body) {
  if (body && typeof body === 'object') {
    const ja = body.message_ja;
    if (lang() === 'ja' && ja) return ja;
    if (body.message) return body.message;
  }
  if (status === 403) return t('err.forbidden');
  return t('err.server', { status });
}

/**
 * `fetch` `path` and parse JSON. Options: `method`, `json` (a body to send as JSON), `form`
 * (FormData), `timeout` in ms (default 20 s), `session` (true: a 401 means the session ended).
 */
export async function api(path, { method = 'GET', json, form, timeout = 20_000, session = true } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form;
  }
  init.signal = AbortSignal.timeout(timeout);
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    const timedOut = e?.name === 'TimeoutError' || e?.name === 'AbortError';
    throw new ApiError(0, timedOut ? 'timeout' : 'network', t(timedOut ? 'err.timeout' : 'err.network'));
  }
  let body = null;
  if (res.status !== 204) {
    try {
      body = await res.json();
    } catch {
      body = null;
    }
  }
  if (res.ok) return body;
  const err = new ApiError(res.status, body?.error ?? 'http', serverText(res.status, body), body);
  if (res.status === 401 && session) {
    err.text = t('signin.expired');
    for (const fn of expiredListeners) fn(err);
  }
  throw err;
}
