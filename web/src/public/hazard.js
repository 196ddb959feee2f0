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
