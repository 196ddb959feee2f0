// Japanese first, English on request. The choice is remembered in localStorage and
// `<html lang>` follows it, so screen readers pronounce the page in the right language.

const STORAGE_KEY = 'kashimap.lang';

/** @typedef {'ja' | 'en'} Lang */

/** @type {Record<Lang, Record<string, string>>} */
const dict = { ja: {}, en: {} };
const listeners = new Set();
let lang = initialLang();

function initialLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'ja' || saved === 'en') return saved;
  } catch {
    // storage may be disabled (private mode); Japanese is the default
  }
  return 'ja';
}

/**
 * Add strings. Later calls override earlier keys, so a page can adjust a shared text.
 * @param {{ja?: Record<string, string>, en?: Record<string, string>}} strings
 */
export function addStrings(strings) {
  Object.assign(dict.ja, strings.ja ?? {});
  Object.assign(dict.en, strings.en ?? {});
}

/** @returns {Lang} the current language */
export function getLang() {
  return lang;
}

/**
 * Switch the language, remember it, set `<html lang>`, re-apply `data-i18n` texts and
 * tell the listeners.
 * @param {Lang} next
 */
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'ja';
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered; still switched for this page
  }
  document.documentElement.lang = lang;
  applyI18n(document);
  for (const fn of listeners) fn(lang);
}

/**
 * Call `fn(lang)` after every language switch. Returns a function that unsubscribes.
 * @param {(lang: Lang) => void} fn
 */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * The text for `key` in the current language (Japanese, then the key itself, as fallback),
 * with `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 */
export function t(key, params = {}) {
  const s = dict[lang][key] ?? dict.ja[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/**
 * Pick the current language from a `{ja, en}` pair (layer titles from the server).
 * @param {{ja?: string, en?: string} | string | null | undefined} pair
 */
export function pick(pair) {
  if (pair == null || typeof pair === 'string') return pair ?? '';
  return (lang === 'en' ? pair.en : pair.ja) ?? pair.ja ?? pair.en ?? '';
}

/**
 * Fill elements marked `data-i18n="key"` (text) and `data-i18n-attr="attr:key,attr:key"`
 * (attributes such as aria-label, placeholder, title) under `root`.
 * @param {ParentNode} root
 */
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

/** Set `<html lang>` to the remembered language; call once at start-up. */
export function initLang() {
  document.documentElement.lang = lang;
  applyI18n(document);
}
