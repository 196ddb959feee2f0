// Search: place names, facility names, addresses and 地番 (/api/search); the results are a
// list of buttons; choosing one flies there, highlights it and opens its popup.
import { layerInfo, search } from '../lib/api.js';
import { pick, t } from '../lib/i18n.js';
import { errorBox, h, statusLine } from '../lib/dom.js';

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} root  the results pane
 * @param {{open: () => void, onSelect: (f: GeoJSON.Feature & {layer: string}) => void}} opts
 */
export function createSearch(form, root, { open, onSelect }) {
  const input = form.querySelector('input');
  let last = '';
  const run = async (q) => {
    last = q;
    open();
    root.replaceChildren(statusLine(t('popup.loading')));
    try {
      const fc = await search(q, { limit: 30 });
      root.replaceChildren(await results(q, fc.features, onSelect));
    } catch (e) {
      root.replaceChildren(errorBox(e.message));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (q) run(q);
  });
  return { rerun: () => last && run(last) };
}

async function results(q, features, onSelect) {
  const wrap = h('div');
  const summary = h('p', 'status', features.length ? t('search.count', { q, n: features.length }) : t('search.none', { q }));
  summary.setAttribute('role', 'status');
  wrap.append(summary);
  const ul = h('ul', 'result-list');
  for (const f of features) {
    const info = await layerInfo(f.layer);
    const b = h('button', 'result');
    b.type = 'button';
    b.append(h('span', 'result-name', f.label ?? f.matched?.value ?? ''), h('span', 'result-meta', resultMeta(f, info)));
    b.addEventListener('click', () => onSelect(f));
    const li = h('li');
    li.append(b);
    ul.append(li);
  }
  wrap.append(ul);
  return wrap;
}

function resultMeta(f, info) {
  const parts = [pick(info.title)];
  const addr = f.properties?.['住所'];
  if (addr) parts.push(addr);
  else if (f.matched && f.matched.value !== f.label) parts.push(f.matched.value);
  return parts.join('｜');
}
