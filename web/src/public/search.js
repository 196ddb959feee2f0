// Search: place names, facility names, addresses and 地番 (/api/search); the results are a
// list of buttons; choosing one flies there, highlights it and opens 「この場所の情報」 with
// it. Each row says what kind of thing it is (layer, 種別 or 地目), so two records with the
// same name can be told apart; 「さらに表示」 asks for the next page when there are more.
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
      const fc = await search(q, { limit: PAGE });
      root.replaceChildren(await results(q, fc, onSelect));
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

/** Results asked for at a time. */
const PAGE = 20;

/** How many match in all: the server's total when it gives one, else what came back. */
function total(fc, shown) {
  return fc.numberMatched ?? fc.total ?? shown;
}

async function results(q, fc, onSelect) {
  const wrap = h('div');
  let features = fc.features;
  const n = total(fc, features.length);
  // the server says where the next page starts (`next`, null on the last)
  let nextOffset = fc.next ?? features.length;
  const summary = h('p', 'status', n ? t('search.count', { q, n }) : t('search.none', { q }));
  summary.setAttribute('role', 'status');
  wrap.append(summary);
  const ul = h('ul', 'result-list');
  const add = async (list) => {
    for (const f of list) ul.append(h('li', null, await resultButton(f, onSelect)));
  };
  await add(features);
  wrap.append(ul);
  if (fc.next != null || (fc.next === undefined && n > features.length)) {
    const more = h('button', { type: 'button', class: 'secondary more' }, t('search.more'));
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const next = await search(q, { limit: PAGE, offset: nextOffset });
        const first = ul.children.length;
        await add(next.features);
        features = [...features, ...next.features];
        ul.children[first]?.querySelector('button')?.focus();
        nextOffset = next.next ?? nextOffset + next.features.length;
        const last = next.next === null || features.length >= total(next, features.length) || next.features.length === 0;
        if (last) more.remove();
        else more.disabled = false;
      } catch (e) {
        more.replaceWith(errorBox(e.message));
      }
    });
    wrap.append(more);
  }
  return wrap;
}

async function resultButton(f, onSelect) {
  const info = await layerInfo(f.layer);
  const b = h('button', { type: 'button', class: 'result', 'data-layer': f.layer });
  b.append(h('span', { class: 'result-name', lang: 'ja' }, f.label ?? f.matched?.value ?? ''), h('span', 'result-meta', resultMeta(f, info)));
  b.addEventListener('click', () => onSelect(f));
  return b;
}

/**
 * What the row is (layer and its kind: the server's `kind`, else 種別/地目) and where (住所,
 * or what matched), so two rows with one name can be told apart.
 */
function resultMeta(f, info) {
  const p = f.properties ?? {};
  const title = pick(f.layer_title ?? info.title);
  const parts = [title];
  const kinds = f.kind ? [f.kind] : ['種別', '地目', '区域区分'].map((k) => p[k]).filter(Boolean);
  for (const kind of kinds) if (String(kind) !== title && !parts.includes(String(kind))) parts.push(String(kind));
  if (f.kind && p['地目']) parts.push(String(p['地目']));
  const addr = p['住所'];
  if (addr) parts.push(addr);
  else if (f.matched && f.matched.value !== f.label) parts.push(f.matched.value);
  return parts.join('｜');
}
