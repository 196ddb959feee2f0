// 「この場所の情報」: what applies at a tapped point (/api/at): 用途地域 with 容積率 and
// 建蔽率, whether it lies in a 埋蔵文化財包蔵地 and what to do then, the hazards there in plain
// words (flood depth, landslide zones) with the shelters designated for them, and the nearest
// shelters for the chosen hazard. What the citizen asked comes first; a tapped road or area
// is folded at the end (a tapped shelter is what was asked, so it comes first).
import { at } from '../lib/api.js';
import { pick, t } from '../lib/i18n.js';
import { featureContent } from '../lib/popup.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { hazard, hazardSelect, onHazardChange } from './hazard.js';
import { hazardFacts, hazardParagraphs } from './hazard-text.js';
import { PUBLIC_HIDDEN_FIELDS } from './hidden-fields.js';
import { shelterItem } from './shelter-item.js';

/**
 * @param {HTMLElement} root  the pane
 * @param {{onShowShelter: (f: GeoJSON.Feature) => void}} opts
 * @returns {{show: (lon: number, lat: number, hit?: {layer: string, feature: object | Promise<object | object[]>,
 *   point?: boolean}) => Promise<void>,
 *   rerender: () => void, last: () => object | null}}
 */
export function createPlacePane(root, { onShowShelter }) {
  let last = null;
  let answer = null;
  let controller = null;
  // On phones the tapped feature is shown here, in the sheet, instead of in a map popup that
  // the sheet would cover: first when it is a point (a shelter: what was tapped), else folded
  // at the end (a road or an area caught by the tap is rarely the question).
  const show = async (lon, lat, hit = null) => {
    last = [lon, lat, hit];
    answer = null;
    controller?.abort();
    controller = new AbortController();
    const body = h('div', 'place-body');
    const picked = h('section', 'place-feature');
    const folded = h('details', 'place-tapped', h('summary', null, t('place.tapped')));
    root.replaceChildren(...(hit?.point ? [picked, body] : [body, folded]));
    if (hit) {
      Promise.resolve(hit.feature)
        .then((fs) => Promise.all([fs].flat().map((f) => featureContent(hit.layer, f, { headingLevel: 'h3', hideFields: PUBLIC_HIDDEN_FIELDS }))))
        .then((parts) => (hit.point ? picked : folded).append(...parts));
    } else {
      folded.hidden = true;
    }
    body.append(statusLine(t('place.loading')));
    try {
      const res = await at(lon, lat, hazard(), { signal: controller.signal });
      answer = res;
      body.replaceChildren(...render(res, { onShowShelter }));
    } catch (e) {
      if (e.name !== 'AbortError') body.replaceChildren(errorBox(e.message));
    }
  };
  onHazardChange(() => last && !root.hidden && show(...last));
  return { show, rerender: () => last && show(...last), last: () => answer };
}

function render(res, { onShowShelter }) {
  const out = [h('p', 'coords', t('place.coords', { lat: res.lat.toFixed(5), lon: res.lon.toFixed(5) }))];
  const byId = Object.fromEntries(res.layers.map((l) => [l.id, l]));
  for (const f of byId.chiban?.features ?? []) out.push(parcel(f.properties));
  if (byId.zoning) out.push(zoning(byId.zoning));
  if (byId.heritage) out.push(heritage(byId.heritage));
  const facts = hazardFacts(res.hazards);
  if (facts.length) out.push(hazards(facts, [res.lon, res.lat], onShowShelter));
  out.push(shelters(res.nearest_shelters ?? [], [res.lon, res.lat], onShowShelter));
  for (const l of res.layers) {
    if (['zoning', 'heritage', 'shelters', 'flood', 'dosha', 'chiban'].includes(l.id) || l.features.length === 0) continue;
    out.push(others(l));
  }
  return out;
}

function section(title) {
  const s = h('section', 'place-section');
  s.append(h('h3', null, title));
  return s;
}

/** The 地番 of the parcel here (字図 sample data): 「地番：高津原 1248-2（宅地・254 m²）」. */
function parcel(p) {
  const extra = [p['地目'], p['地積'] != null ? `${p['地積']} m²` : null].filter(Boolean).join('・');
  const line = h('p', { class: 'parcel' }, t('place.parcel', { oaza: p['大字'] ?? '', chiban: p['地番'] ?? '' }));
  if (extra) line.append(`（${extra}）`);
  return line;
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
    // labelled, so 時代 古墳 and 種別 古墳 do not read 「古墳・古墳」
    const meta = [['時代', 'place.era'], ['種別', 'place.kind']]
      .filter(([k]) => p[k])
      .map(([k, label]) => t(label, { v: p[k] }));
    if (meta.length) s.append(h('p', 'heritage-meta', meta.join(t('place.metaSep'))));
  }
  s.append(h('p', null, t('place.heritageTodo')), h('p', 'contact', t('place.heritageContact')));
  return s;
}

/** The hazards at the point in plain words, and the shelters designated for each. */
function hazards(facts, from, onShow) {
  const s = section(t('hz.heading'));
  s.classList.add('place-hazards');
  s.append(...hazardParagraphs(facts));
  for (const f of facts) {
    if (!f.inArea || !f.shelters.length) continue;
    s.append(h('h4', null, t('hz.shelters', { hazard: t(`hazard.${f.hazard}`) })));
    const ol = h('ol', { class: 'shelter-list', 'data-hazard': f.key });
    for (const sh of f.shelters) ol.append(shelterItem(sh, { from, onShow, level: 'h5' }));
    s.append(ol);
  }
  s.append(h('p', 'hint', t('hz.sample')));
  return s;
}

function shelters(list, from, onShow) {
  const s = section(t('place.shelters', { hazard: t(`hazard.${hazard()}`) }));
  // the 災害の種類 menu belongs to this list (it chooses which shelters it shows)
  s.append(hazardSelect('place-hazard'));
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
