// The print form of both pages: paper (A4/A3), orientation and a title (prefilled with the
// page's default), then the print layout of print.js and window.print(). The browser's own
// print command uses the same choices (beforeprint). The legend and sources follow the
// visible layers.
import { layerInfo } from './api.js';
import { h, radioGroup } from './dom.js';
import { pick, t } from './i18n.js';
import { hasBasemap } from './map.js';
import { printMap, watchPrint } from './print.js';
import './strings.js';

/**
 * @typedef {object} PrintFormOptions
 * @property {() => string} title        the default title (current language): the title
 *   field starts with it, and it is printed when the field is left empty
 * @property {() => string[]} [notes]    lines under the sources, e.g. who printed it
 * @property {() => Node[]} [label]      the button's content; t('print.button') by default
 * @property {() => import('./print.js').PrintOptions['marks']} [marks]  points to mark and
 *   centre on (public page: the location and the nearest shelter)
 * @property {(visible: string[]) => import('./print-quiet.js').Focus | null} [focus]  a
 *   focused print (staff page: the 管路図): those layers labelled, the rest quiet and out of
 *   the legend
 */

/**
 * Mount the print form in `root`. `render()` draws it again (after a language switch);
 * `options()` gives the PrintOptions for the map as it is now.
 * @param {HTMLElement} root
 * @param {import('maplibre-gl').Map} map
 * @param {import('./layers.js').LayerList} layers
 * @param {PrintFormOptions} opts
 * @returns {{render: () => void, options: () => import('./print.js').PrintOptions}}
 */
export function mountPrintForm(root, map, layers, { title, notes = () => [], label, marks = () => [], focus = () => null }) {
  const choice = { paper: 'A4', orientation: 'portrait', title: '' };
  let infos = {};
  const refreshInfos = async () => {
    const all = await Promise.all(layers.ids().map((id) => layerInfo(id)));
    infos = Object.fromEntries(all.map((i) => [i.id, i]));
  };
  refreshInfos();
  const options = () => {
    const visible = layers.visible().reverse();
    const sample = visible.some((id) => /サンプル/.test(infos[id]?.attribution ?? ''));
    const focused = focus(visible);
    const inLegend = focused ? visible.filter((id) => focused.layers.includes(id)) : visible;
    return {
      ...choice,
      title: choice.title || title(),
      focus: focused ?? undefined,
      legend: inLegend.map((id) => ({ title: pick(infos[id]?.title ?? id), entries: layers.legend(id, infos[id]?.title) })),
      attributions: attributions(map, visible, infos),
      note: [...notes(), ...(sample ? [t('print.sample')] : [])],
      marks: marks(),
    };
  };
  watchPrint(map, options);
  const radios = (name, legend, values) =>
    radioGroup({ name, legend, options: values, value: choice[name], onChange: (v) => (choice[name] = v) });
  const render = () => {
    const button = h('button', { type: 'submit', class: 'primary', id: 'print-button' }, label?.() ?? t('print.button'));
    const form = h(
      'form',
      'print-form',
      h('p', null, t('print.intro')),
      radios('paper', t('print.paper'), [['A4', 'A4'], ['A3', 'A3']]),
      radios('orientation', t('print.orientation'), [['portrait', t('print.portrait')], ['landscape', t('print.landscape')]]),
      titleField(choice, title()),
      button,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      await refreshInfos();
      printMap(map, options());
    });
    root.replaceChildren(form);
  };
  render();
  return { render, options };
}

/** Sources of the visible layers (and the basemap), each once. */
function attributions(map, visible, infos) {
  const out = hasBasemap(map) ? [t('print.basemap')] : [];
  for (const id of visible) {
    const a = infos[id]?.attribution;
    if (a && !out.includes(a)) out.push(a);
  }
  // raster overlays added by a page (national hazard maps) credit their source too
  for (const [id, src] of Object.entries(map.getStyle()?.sources ?? {})) {
    if (src.type === 'raster' && id !== 'gsi' && src.attribution && !out.includes(src.attribution)) out.push(src.attribution);
  }
  return out;
}

/**
 * The title field: the user's title, or the default (prefilled, and printed when the field is
 * left empty). An untouched field follows the language; an edited one keeps its text.
 */
function titleField(choice, fallback) {
  const hint = h('p', { id: 'print-title-hint', class: 'km-hint' }, t('print.titleHint'));
  const input = h('input', {
    id: 'print-title',
    type: 'text',
    value: choice.title || fallback,
    placeholder: fallback,
    maxlength: 100,
    'aria-describedby': hint.id,
    oninput: () => (choice.title = input.value.trim() === fallback ? '' : input.value.trim()),
  });
  return h('div', 'field', h('label', { for: 'print-title' }, t('print.titleLabel')), input, hint);
}
