// The hazards at a point (/api/at `hazards`) in plain words: 「この場所は洪水時に 0.5〜3m 浸水する
// 想定です」. The server's own sentence (`message`) is used when it sends one.
import { pick, t } from '../lib/i18n.js';
import { h } from '../lib/dom.js';

/** The hazard names of /api/at `hazards` keys. */
export const HAZARD_OF_KEY = { flood: '洪水', dosha: '土砂' };

/**
 * One sentence per hazard the answer covers, with whether the point is in its area.
 * @param {Record<string, any> | undefined} hazards  `hazards` of an /api/at answer
 * @returns {{key: string, hazard: string, inArea: boolean, text: string, shelters: object[]}[]}
 */
export function hazardFacts(hazards) {
  const out = [];
  for (const key of Object.keys(HAZARD_OF_KEY)) {
    const hz = hazards?.[key];
    if (!hz) continue;
    out.push({ key, hazard: HAZARD_OF_KEY[key], inArea: Boolean(hz.in_area), text: sentence(key, hz), shelters: hz.shelters ?? [] });
  }
  return out;
}

function sentence(key, hz) {
  const own = pick(hz.message);
  if (own) return own;
  if (key === 'flood') {
    if (!hz.in_area) return t('hz.flood.out');
    return hz.depth_class ? t('hz.flood.in', { depth: hz.depth_class }) : t('hz.flood.inArea');
  }
  if (!hz.in_area) return t('hz.dosha.out');
  const kinds = [...new Set((hz.zones ?? []).map((z) => `${z['区域区分'] ?? ''}（${z['現象の種類'] ?? ''}）`))];
  return t('hz.dosha.in', { zones: kinds.join('・') });
}

/**
 * The facts as a list of paragraphs; those in an area are marked (class `hz-in`).
 * @param {ReturnType<typeof hazardFacts>} facts
 */
export function hazardParagraphs(facts) {
  return facts.map((f) => h('p', { class: f.inArea ? 'hz hz-in' : 'hz hz-out', 'data-hazard': f.key }, f.text));
}
