// 「印刷・PDF」: paper (A4/A3), orientation and title, then the print layout and
// window.print(). The browser's own print command uses the same choices (beforeprint).
import { layerInfo } from '../lib/api.js';
import { pick, t } from '../lib/i18n.js';
import { printMap, watchPrint } from '../lib/print.js';
import { hasBasemap } from '../lib/map.js';
import { el } from './format.js';

/**
 * @param {HTMLElement} root
 * @param {import('maplibre-gl').Map} map
 * @param {import('../lib/layers.js').LayerList} layers
 * @returns {{render: () => void, options: () => Promise<import('../lib/print.js').PrintOptions>}}
 */
export function createPrintPane(root, map, layers) {
  const choice = { paper: 'A4', orientation: 'portrait', title: '' };
  let infos = {};
  const refreshInfos = async () => {
    const all = await Promise.all(layers.ids().map((id) => layerInfo(id)));
    infos = Object.fromEntries(all.map((i) => [i.id, i]));
  };
  refreshInfos();
  const options = () => {
    const visible = layers.visible().reverse();
    const attributions = [];
    if (hasBasemap(map)) attributions.push(t('print.basemap'));
    for (const id of visible) {
      const a = infos[id]?.attribution;
      if (a && !attributions.includes(a)) attributions.push(a);
    }
    return {
      ...choice,
      title: choice.title || `${t('app.title')}｜${t('app.subtitle')}`,
      legend: visible.map((id) => ({ title: pick(infos[id]?.title ?? id), entries: layers.legend(id, infos[id]?.title) })),
      attributions,
      note: visible.some((id) => /サンプル/.test(infos[id]?.attribution ?? '')) ? t('print.sample') : undefined,
    };
  };
  watchPrint(map, options);
  const render = () => {
    const form = el('form', 'print-form');
    form.append(
      el('p', null, t('print.intro')),
      radios('paper', t('print.paper'), [['A4', 'A4'], ['A3', 'A3']]),
      radios('orientation', t('print.orientation'), [['portrait', t('print.portrait')], ['landscape', t('print.landscape')]]),
      titleField(),
    );
    const button = el('button', 'primary', t('print.button'));
    button.type = 'submit';
    button.id = 'print-button';
    form.append(button);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      await refreshInfos();
      printMap(map, options());
    });
    root.replaceChildren(form);
  };
  function radios(name, legend, values) {
    const fs = el('fieldset');
    fs.append(el('legend', null, legend));
    for (const [value, text] of values) {
      const label = el('label', 'radio');
      const input = el('input');
      input.type = 'radio';
      input.name = name;
      input.value = value;
      input.checked = choice[name] === value;
      input.addEventListener('change', () => (choice[name] = value));
      label.append(input, el('span', null, text));
      fs.append(label);
    }
    return fs;
  }
  function titleField() {
    const wrap = el('div', 'field');
    const label = el('label', null, t('print.titleLabel'));
    label.htmlFor = 'print-title';
    const input = el('input');
    input.id = 'print-title';
    input.type = 'text';
    input.value = choice.title;
    input.placeholder = `${t('app.title')}｜${t('app.subtitle')}`;
    input.addEventListener('input', () => (choice.title = input.value));
    wrap.append(label, input);
    return wrap;
  }
  render();
  return { render, options };
}
