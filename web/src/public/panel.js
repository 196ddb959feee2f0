// The one panel of the public page: a bottom sheet on phones, a side panel on desktops.
// One pane at a time; the toolbar buttons say which is open (aria-expanded); Escape closes.
import { onLangChange, t } from '../lib/i18n.js';

const TITLES = {
  place: 'place.heading',
  nearby: 'nearby.heading',
  shelters: 'shelters.heading',
  layers: 'layers.heading',
  print: 'print.heading',
  search: 'search.heading',
};

/**
 * @returns {{open: (name: string, opts?: {focus?: boolean}) => HTMLElement, close: () => void,
 *   current: () => string | null, pane: (name: string) => HTMLElement}}
 */
export function createPanel() {
  const panel = document.getElementById('panel');
  const title = document.getElementById('panel-title');
  const panes = Object.fromEntries([...panel.querySelectorAll('[data-pane]')].map((p) => [p.dataset.pane, p]));
  const buttons = [...document.querySelectorAll('.toolbar [data-pane]')];
  let current = null;
  let opener = null;

  const open = (name, { focus = true } = {}) => {
    if (current !== name) opener = document.activeElement;
    current = name;
    panel.hidden = false;
    document.body.classList.add('panel-open');
    for (const [n, p] of Object.entries(panes)) p.hidden = n !== name;
    for (const b of buttons) b.setAttribute('aria-expanded', String(b.dataset.pane === name));
    title.textContent = t(TITLES[name]);
    if (focus) title.focus();
    return panes[name];
  };
  const close = () => {
    current = null;
    panel.hidden = true;
    document.body.classList.remove('panel-open');
    for (const b of buttons) b.setAttribute('aria-expanded', 'false');
    if (opener?.isConnected && opener !== document.body) opener.focus();
  };
  for (const b of buttons) {
    b.addEventListener('click', () => (current === b.dataset.pane ? close() : open(b.dataset.pane)));
  }
  document.getElementById('panel-close').addEventListener('click', close);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  onLangChange(() => {
    if (current) title.textContent = t(TITLES[current]);
  });
  return { open, close, current: () => current, pane: (name) => panes[name] };
}
