// Layer list for the staff map: one checkbox per visible layer, with a 「職員限定」 badge
// (icon + text) on layers whose view is not the public one. The lead will replace this with
// the shared layer list + legend (web/src/lib) and keep the badge.
import { h, icon, uid } from './dom.js';
import { pick, t } from './i18n.js';

/** A badge marking restricted data: a lock icon and text, never colour alone. */
export function restrictedBadge() {
  return h(
    'span',
    { class: 'badge restricted' },
    icon('lock'),
    t('layers.restricted'),
  );
}

/** Layer titles the caller may see, from `/ogc/collections` (`{id: {ja, en}|string}`). */
export async function layerTitles() {
  try {
    const res = await fetch('/ogc/collections?f=json', { headers: { Accept: 'application/json' } });
    if (!res.ok) return {};
    const body = await res.json();
    return Object.fromEntries((body.collections ?? []).map((c) => [c.id, c.titles ?? c.title ?? c.id]));
  } catch {
    return {};
  }
}

function styleLayersOf(map, source) {
  return (map.getStyle()?.layers ?? []).filter((l) => l.source === source).map((l) => l.id);
}

/**
 * Mount the layer list in `el` for `map`. `me` is `/auth/me` (null when signed out: the list
 * comes from the style's vector sources). `titles` maps layer ids to titles.
 */
export function mountLayerList(el, { map, me = null, titles = {} }) {
  const render = () => {
    const style = map.getStyle();
    const sources = Object.entries(style?.sources ?? {})
      .filter(([, s]) => s.type === 'vector')
      .map(([id]) => id);
    const items = sources.map((id) => layerItem(map, id, me?.layers?.[id], titles[id]));
    el.replaceChildren(
      h('h2', {}, t('layers.heading')),
      items.length ? h('ul', { class: 'layer-list' }, items) : h('p', {}, t('layers.none')),
    );
  };
  el.replaceChildren(h('h2', {}, t('layers.heading')));
  if (map.isStyleLoaded()) render();
  else map.once('load', render);
  return { refresh: render };
}

function layerItem(map, id, info, title) {
  const boxId = uid(`layer-${id}`);
  const ids = styleLayersOf(map, id);
  const visible = ids.every((l) => map.getLayoutProperty(l, 'visibility') !== 'none');
  const box = h('input', { type: 'checkbox', id: boxId, checked: visible });
  box.addEventListener('change', () => {
    for (const l of ids) map.setLayoutProperty(l, 'visibility', box.checked ? 'visible' : 'none');
  });
  const restricted = info && info.public === false;
  const attrs = info?.attributes?.length ? t('layers.attrs', { list: info.attributes.join('、') }) : null;
  return h(
    'li',
    { 'data-layer': id, class: restricted ? 'is-restricted' : null },
    h('div', { class: 'layer-row' }, box, h('label', { for: boxId }, pick(title) || id), restricted ? restrictedBadge() : null),
    attrs && restricted ? h('p', { class: 'layer-attrs' }, attrs) : null,
  );
}
