// A short source credit that stays on the map on phones, where MapLibre's attribution folds
// behind its ⓘ button: 「出典：地理院タイル｜鹿島市サンプルデータ｜国土地理院 指定緊急避難場所・
// 指定避難所データ」. GSI's terms ask for the source to be shown with their tiles; the full
// texts stay behind ⓘ, in the layer list and on prints.
import { h } from './dom.js';
import { onLangChange, t } from './i18n.js';
import './strings.js';

/** Where GSI lists its tiles and their terms (the credit links there). */
export const GSI_TILES_URL = 'https://maps.gsi.go.jp/development/ichiran.html';

/**
 * A layer's attribution, short: without a leading 出典：/Source:, and up to the first
 * parenthesis or slash (「鹿島市サンプルデータ（生成データ・…）／属性形式：…」 → 鹿島市サンプルデータ).
 * @param {string} text
 */
export function shortCredit(text) {
  const plain = String(text ?? '')
    .replace(/<[^>]*>/g, '')
    .replace(/^\s*(出典|Source|Sources)\s*[：:]\s*/i, '');
  return plain.split(/[（(／]|\s\/\s/)[0].trim();
}

/**
 * The MapLibre control. `basemap` is the id of the GSI raster source: while it is drawn, the
 * credit starts with 「地理院タイル」 linked to GSI; then the short attributions of the other
 * sources with visible layers, each once.
 */
export class CreditControl {
  constructor({ basemap }) {
    this.basemap = basemap;
    this.key = '';
  }

  onAdd(map) {
    this.map = map;
    this.el = h('div', { class: 'maplibregl-ctrl km-credit' });
    this.update = () => this.render();
    this.onSource = (e) => e.sourceDataType === 'metadata' && this.render();
    map.on('styledata', this.update);
    map.on('sourcedata', this.onSource);
    this.offLang = onLangChange(() => this.render(true));
    this.render();
    return this.el;
  }

  onRemove() {
    this.map.off('styledata', this.update);
    this.map.off('sourcedata', this.onSource);
    this.offLang?.();
    this.el.remove();
  }

  /** Ids of the sources with a visible layer, bottom to top, each once. */
  sources() {
    const map = this.map;
    const ids = [];
    for (const id of map.getLayersOrder?.() ?? []) {
      const source = map.getLayer(id)?.source;
      if (source && !ids.includes(source) && map.getLayoutProperty(id, 'visibility') !== 'none') ids.push(source);
    }
    return ids;
  }

  render(force = false) {
    if (!this.map?.style) return;
    const ids = this.sources();
    const gsi = ids.includes(this.basemap);
    const data = [];
    for (const id of ids) {
      if (id === this.basemap) continue;
      const text = shortCredit(this.map.getSource(id)?.attribution);
      if (text && !data.includes(text)) data.push(text);
    }
    const key = JSON.stringify([gsi, data]);
    if (key === this.key && !force) return;
    this.key = key;
    const parts = [
      gsi ? h('a', { href: GSI_TILES_URL, target: '_blank', rel: 'noopener' }, t('credit.gsi')) : null,
      ...data.map((text) => h('span', { lang: 'ja' }, text)),
    ].filter(Boolean);
    this.el.hidden = parts.length === 0;
    this.el.replaceChildren(t('credit.prefix'), ...parts.flatMap((p, i) => (i ? [t('credit.separator'), p] : [p])));
  }
}
