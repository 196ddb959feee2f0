// Attributes of the feature the user clicked (the lead will switch to the shared popup).
import { h } from './dom.js';
import { pick, t } from './i18n.js';

/** Mount the "selected feature" panel in `el`; it follows clicks on `map`. */
export function mountFeatureInfo(el, { map, titles = {} }) {
  const empty = () => el.replaceChildren(h('h2', {}, t('feature.heading')), h('p', { class: 'hint' }, t('feature.hint')));
  empty();
  map.on('click', (ev) => {
    const feats = map.queryRenderedFeatures(ev.point).filter((f) => f.source && f.source !== 'gsi');
    const seen = new Set();
    const unique = feats.filter((f) => {
      const k = `${f.source}:${f.id ?? JSON.stringify(f.properties)}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (!unique.length) return empty();
    const close = h('button', { type: 'button' }, t('feature.close'));
    close.addEventListener('click', empty);
    el.replaceChildren(
      h('h2', {}, t('feature.heading')),
      ...unique.slice(0, 5).map((f) =>
        h(
          'section',
          { class: 'feature' },
          h('h3', {}, pick(titles[f.source]) || f.source),
          h('dl', {}, Object.entries(f.properties).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])),
        ),
      ),
      close,
    );
  });
}
