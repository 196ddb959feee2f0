// Feature popups: the attributes the caller may see, labelled in Japanese (the attribute
// name) or English (the queryables title), with units, and booleans as words.
import { feature as fetchFeature, layerInfo } from './api.js';
import { h } from './dom.js';
import { getLang, pick, t } from './i18n.js';
import { restrictedBadge } from './layers.js';
import { maplibregl } from './map.js';
import './strings.js';

/**
 * Format one attribute value for people: あり/なし for booleans, — for empty, unit after.
 * @param {unknown} v
 * @param {{unit?: string}} [field]
 */
export function formatValue(v, field = {}) {
  if (v == null || v === '') return t('popup.none');
  if (v === true) return t('popup.yes');
  if (v === false) return t('popup.no');
  // Thousands separators only for measures (a unit: 地積 1,234.5 m²); never in years, codes,
  // ids or numbers (「NO 103575」, 「1998年」).
  if (typeof v === 'number' && field.unit) return `${v.toLocaleString(getLang() === 'en' ? 'en' : 'ja-JP')} ${field.unit}`;
  if (typeof v === 'number') return String(v);
  return `${v}${field.unit ? ` ${field.unit}` : ''}`;
}

/**
 * The label of attribute `name` in the current language.
 * @param {string} name  the attribute name (Japanese)
 * @param {{title?: string}} [field]  from the queryables
 */
export function fieldLabel(name, field) {
  return getLang() === 'en' && field?.title ? field.title : name;
}

/**
 * A definition list of a feature's attributes, in the layer's field order. Empty values are
 * left out, and yes/no attributes are gathered into one あり row and one なし row (a shelter
 * has eight of them), so a popup stays short on a phone.
 * @param {Record<string, unknown>} props
 * @param {import('./api.js').LayerInfo} info
 * @param {{isRestrictedField?: (name: string) => boolean, hideFields?: Set<string>}} [opts]
 *   staff: mark 職員限定 fields; public: `hideFields`, technical attributes left out
 */
export function attributeList(props, info, { isRestrictedField = () => false, hideFields } = {}) {
  const dl = h('dl', 'km-attrs');
  const names = Object.keys(info.fields).length ? Object.keys(info.fields) : Object.keys(props);
  const flags = { true: [], false: [] };
  for (const name of names) {
    const v = props[name];
    if (v == null || v === '' || hideFields?.has(name)) continue;
    const label = fieldLabel(name, info.fields[name]);
    if (typeof v === 'boolean') {
      flags[v].push(isRestrictedField(name) ? `${label}（${t('layers.restricted')}）` : label);
      continue;
    }
    dl.append(...row(label, formatValue(v, info.fields[name]), isRestrictedField(name)));
  }
  const sep = getLang() === 'en' ? ', ' : '・';
  if (flags.true.length) dl.append(...row(t('popup.yes'), flags.true.join(sep)));
  if (flags.false.length) dl.append(...row(t('popup.no'), flags.false.join(sep)));
  return dl;
}

function row(label, value, restricted = false) {
  const ja = /[\u3040-\u30ff\u3400-\u9fff]/.test(value);
  return [h('dt', null, label, restricted ? ' ' : null, restricted ? restrictedBadge() : null), h('dd', { lang: ja ? 'ja' : null }, value)];
}

/**
 * The popup body for one feature: layer title, the feature's name, its attributes.
 * @param {string} layer
 * @param {{id?: string | number, properties: Record<string, unknown>}} feature
 * @param {{headingLevel?: string, isRestrictedField?: (name: string) => boolean, hideFields?: Set<string>}} [opts]
 *   headingLevel of the feature's name, 'h2' by default; see attributeList for the rest
 * @returns {Promise<HTMLElement>}
 */
export async function featureContent(layer, feature, opts = {}) {
  const info = await layerInfo(layer);
  const name = featureName(feature.properties, info);
  return h(
    'div',
    'km-feature',
    h('p', 'km-feature-layer', pick(info.title)),
    h(opts.headingLevel ?? 'h2', { class: 'km-feature-title', lang: name ? 'ja' : null }, name || pick(info.title)),
    attributeList(feature.properties, info, opts),
  );
}

/** The feature's name: the layer's label attribute (from the queryables), if shown. */
export function featureName(props, info) {
  const label = info.label;
  return label && props[label] != null ? String(props[label]) : '';
}

/**
 * Show a popup at `lngLat` for a rendered feature, or for several of one layer at the same
 * spot (a school that is both 指定緊急避難場所 and 指定避難所 is two records). The tile's
 * properties are shown at once; the full features from the OGC API replace them when they
 * arrive (tiles omit nulls).
 * @param {import('maplibre-gl').Map} map
 * @param {import('maplibre-gl').LngLatLike} lngLat
 * @param {string} layer
 * @param {{id?: string | number, properties: Record<string, unknown>} | object[]} feature
 *   one feature or an array of them
 * @param {object} [opts]  see featureContent
 * @returns {Promise<import('maplibre-gl').Popup>}
 */
export async function showFeaturePopup(map, lngLat, layer, feature, opts) {
  const features = Array.isArray(feature) ? feature : [feature];
  const popup = new maplibregl.Popup({ maxWidth: '320px', focusAfterOpen: false, className: 'km-popup' })
    .setLngLat(lngLat)
    .setDOMContent(await featureStack(layer, features, opts))
    .addTo(map);
  popup.getElement()?.querySelector('.maplibregl-popup-close-button')?.setAttribute('aria-label', t('popup.close'));
  withFullFeatures(layer, features, opts, (content) => popup.isOpen() && popup.setDOMContent(content));
  return popup;
}

/**
 * The content of one or more features of one layer (one `.km-feature` each, stacked).
 * @param {string} layer
 * @param {{id?: string | number, properties: Record<string, unknown>}[]} features
 * @param {object} [opts]  see featureContent
 * @returns {Promise<HTMLElement>}
 */
export async function featureStack(layer, features, opts) {
  const parts = await Promise.all(features.map((f) => featureContent(layer, f, opts)));
  return parts.length === 1 ? parts[0] : h('div', 'km-feature-stack', parts);
}

/**
 * Fetch the full features from the OGC API (tiles omit nulls and may simplify) and hand
 * their content to `show`; nothing happens when a feature has no id or a request fails (the
 * tile's properties stay shown).
 * @param {string} layer
 * @param {{id?: string | number}[]} features
 * @param {object} opts  see featureContent
 * @param {(content: HTMLElement) => void} show
 */
export function withFullFeatures(layer, features, opts, show) {
  if (!features.length || features.some((f) => f.id == null)) return;
  Promise.all(features.map((f) => fetchFeature(layer, f.id)))
    .then(async (full) => show(await featureStack(layer, full, opts)))
    .catch(() => {
      // the tile's properties stay shown
    });
}

/**
 * The rendered features of layers `ids` within `radius` pixels of `point`, grouped by layer
 * (the top hit's layer first), each feature once (a feature cut by tile edges comes back in
 * pieces).
 * @param {import('maplibre-gl').Map} map
 * @param {{x: number, y: number}} point
 * @param {string[]} ids
 * @param {number} [radius]
 * @returns {[string, import('maplibre-gl').MapGeoJSONFeature[]][]}
 */
export function featuresAt(map, point, ids, radius = 10) {
  const box = [
    [point.x - radius, point.y - radius],
    [point.x + radius, point.y + radius],
  ];
  const groups = new Map();
  for (const f of map.queryRenderedFeatures(box)) {
    if (!ids.includes(f.source)) continue;
    const list = groups.get(f.source) ?? [];
    const key = f.id ?? JSON.stringify(f.properties);
    if (!list.some((g) => (g.id ?? JSON.stringify(g.properties)) === key)) list.push(f);
    groups.set(f.source, list);
  }
  return [...groups];
}
