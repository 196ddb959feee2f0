// 「この場所の情報」: what applies at a tapped point (/api/at): 用途地域 with 容積率 and
// 建蔽率, whether it lies in a 埋蔵文化財包蔵地 and what to do then, and the nearest shelters
// for the chosen hazard.
import { at } from '../lib/api.js';
import { pick, t } from '../lib/i18n.js';
import { featureContent } from '../lib/popup.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { hazard, hazardSelect, onHazardChange } from './hazard.js';
import { shelterItem } from './shelter-item.js';

/**
 * @param {HTMLElement} root  the pane
 * @param {{onShowShelter: (f: GeoJSON.Feature) => void}} opts
 * @returns {{show: (lon: number, lat: number, hit?: {layer: string, feature: object | Promise<object | object[]>})
 *   => Promise<void>,
 *   rerender: () => void}}
 */
export function createPlacePane(root, { onShowShelter }) {
  let last = null;
  let controller = null;
  // On phones the tapped feature is shown here, at the top of the sheet, instead of in a
  // map popup that the sheet would cover.
  const show = async (lon, lat, hit = null) => {
    last = [lon, lat, hit];
    controller?.abort();
    controller = new AbortController();
    const body = h('div', 'place-body');
    const picked = h('section', 'place-feature');
    root.replaceChildren(picked, hazardSelect('place-hazard'), body);
    if (hit) {
      Promise.resolve(hit.feature)
        .then((fs) => Promise.all([fs].flat().map((f) => featureContent(hit.layer, f, { headingLevel: 'h3' }))))
        .then((parts) => picked.append(...parts));
    }
    else picked.hidden = true;
    body.append(statusLine(t('place.loading')));
    try {
      const res = await at(lon, lat, hazard(), { signal: controller.signal });
      body.replaceChildren(...render(res, { onShowShelter }));
    } catch (e) {
      if (e.name !== 'AbortError') body.replaceChildren(errorBox(e.message));
    }
  };
  onHazardChange(() => last && !root.hidden && show(...last));
  return { show, rerender: () => last && show(...last) };
}

function render(res, { onShowShelter }) {
  const out = [h('p', 'coords', t('place.coords', { lat: res.lat.toFixed(5), lon: res.lon.toFixed(5) }))];
  const byId = Object.fromEntries(res.layers.map((l) => [l.id, l]));
  if (byId.zoning) out.push(zoning(byId.zoning));
  if (byId.heritage) out.push(heritage(byId.heritage));
  out.push(shelters(res.nearest_shelters ?? [], [res.lon, res.lat], onShowShelter));
  for (const l of res.layers) {
    if (['zoning', 'heritage', 'shelters'].includes(l.id) || l.features.length === 0) continue;
    out.push(others(l));
  }
  return out;
}

function section(title) {
  const s = h('section', 'place-section');
  s.append(h('h3', null, title));
  return s;
}

function zoning(layer) {
  const s = section(t('place.zoning'));
  if (layer.features.length === 0) {
    s.append(h('p', null, t('place.noZoning')));
    return s;
  }
  for (const f of layer.features) {
    const p = f.properties;
    s.append(h('p', 'zone-name', p['用途地域'] ?? f.label ?? ''));
    if (p['容積率'] != null || p['建蔽率'] != null) {
      s.append(h('p', 'zone-ratios', t('place.far', { far: p['容積率'] ?? '—', bcr: p['建蔽率'] ?? '—' })));
    }
  }
  return s;
}

function heritage(layer) {
  const s = section(t('place.heritage'));
  if (layer.features.length === 0) {
    s.append(h('p', null, t('place.noHeritage')));
    return s;
  }
  s.classList.add('notice');
  for (const f of layer.features) {
    const p = f.properties;
    s.append(h('p', 'heritage-name', t('place.inHeritage', { name: p['遺跡名'] ?? f.label ?? '' })));
    const meta = [p['時代'], p['種別']].filter(Boolean).join('・');
    if (meta) s.append(h('p', null, meta));
  }
  s.append(h('p', null, t('place.heritageTodo')), h('p', 'contact', t('place.heritageContact')));
  return s;
}

function shelters(list, from, onShow) {
  const s = section(t('place.shelters', { hazard: t(`hazard.${hazard()}`) }));
  if (list.length === 0) {
    s.append(h('p', null, t('place.noShelters')));
    return s;
  }
  const ol = h('ol', 'shelter-list');
  for (const f of list) ol.append(shelterItem(f, { from, onShow, level: 'h4' }));
  s.append(ol);
  return s;
}

function others(layer) {
  const s = section(t('place.nearby', { layer: pick(layer.title) }));
  const ul = h('ul', 'plain-list');
  for (const f of layer.features.slice(0, 5)) {
    const label = f.label ?? Object.values(f.properties).find((v) => typeof v === 'string') ?? `#${f.id}`;
    ul.append(h('li', null, f.distance_m ? `${label}（${Math.round(f.distance_m)} m）` : label));
  }
  s.append(ul);
  return s;
}
