// The chosen hazard (洪水, 土砂, 地震, 津波, 高潮), shared by every pane and remembered.
import { onLangChange, t } from '../lib/i18n.js';
import { h } from '../lib/dom.js';

/** The `hazard=` values of /api/at and /api/nearest, in menu order. */
export const HAZARDS = ['洪水', '土砂', '地震', '津波', '高潮'];

/** The shelter attribute that says whether a shelter serves each hazard. */
export const HAZARD_FIELD = { 洪水: '洪水', 土砂: '土砂災害', 地震: '地震', 津波: '津波', 高潮: '高潮' };

const KEY = 'kashimap.hazard';
const listeners = new Set();
let current = load();

function load() {
  try {
    const v = localStorage.getItem(KEY);
    if (HAZARDS.includes(v)) return v;
  } catch {
    // no storage
  }
  return '洪水';
}

/** The chosen hazard. */
export function hazard() {
  return current;
}

/** Call `fn(hazard)` when it changes. */
export function onHazardChange(fn) {
  listeners.add(fn);
}

function set(v) {
  current = v;
  try {
    localStorage.setItem(KEY, v);
  } catch {
    // not remembered
  }
  for (const s of document.querySelectorAll('select.hazard-select')) s.value = v;
  for (const fn of listeners) fn(v);
}

/**
 * A labelled `<select>` of hazards bound to the shared choice.
 * @param {string} id  the select's id (unique in the page)
 */
export function hazardSelect(id) {
  const wrap = h('div', 'field');
  const label = h('label', null, t('hazard.label'));
  label.htmlFor = id;
  const select = h('select', 'hazard-select');
  select.id = id;
  const fill = () => {
    label.textContent = t('hazard.label');
    select.replaceChildren(...HAZARDS.map((h) => new Option(t(`hazard.${h}`), h, false, h === current)));
  };
  fill();
  onLangChange(fill);
  select.addEventListener('change', () => set(select.value));
  wrap.append(label, select);
  return wrap;
}

/** The hazards a shelter feature serves, as words in the current language. */
export function servedHazards(props) {
  return HAZARDS.filter((h) => props[HAZARD_FIELD[h]] === true).map((h) => t(`hazard.${h}`));
}

/** The `hazard=` words of page URLs (/?mode=bousai&hazard=flood) and the hazards they name. */
export const HAZARD_CODES = { flood: '洪水', dosha: '土砂', jishin: '地震', tsunami: '津波', takashio: '高潮' };

/** A hazard from a URL word (flood, dosha, …) or a Japanese name; null when neither. */
export function hazardFromCode(code) {
  if (HAZARDS.includes(code)) return code;
  return HAZARD_CODES[code] ?? null;
}

/** The URL word of a hazard (洪水 → flood). */
export function hazardCode(hazardName) {
  return Object.keys(HAZARD_CODES).find((k) => HAZARD_CODES[k] === hazardName) ?? 'flood';
}

/** Choose a hazard for every pane (and remember it), as the menus do. */
export function setHazard(v) {
  if (HAZARDS.includes(v) && v !== current) set(v);
}

/** Whether a shelter feature is designated for `hazardName`. */
export function serves(props, hazardName) {
  return props[HAZARD_FIELD[hazardName]] === true;
}
