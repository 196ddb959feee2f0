// 管路図の印刷: a print button and a print layout (title, date, user, the map as an image).
// The WebGL canvas is copied to an <img> in the frame it is drawn, because a canvas without
// `preserveDrawingBuffer` prints blank. The lead will switch to the shared print module.
import { h, icon } from './dom.js';
import { t } from './i18n.js';

/** Copy the current map picture into `img`; resolves once it is set. */
export function snapshot(map, img) {
  return new Promise((resolve) => {
    map.once('render', () => {
      img.src = map.getCanvas().toDataURL('image/png');
      img.decode().then(resolve, resolve);
    });
    map.triggerRepaint();
  });
}

/**
 * Mount the print panel in `el` and the print header in `sheet` (an element shown only when
 * printing). Returns `{prepare}`: fill the print layout (the test calls it before page.pdf()).
 */
export function mountPrint(el, { map, me, sheet }) {
  const meta = h('p', { class: 'print-meta' });
  const img = h('img', { class: 'print-map', alt: t('print.title') });
  sheet.replaceChildren(h('h1', { class: 'print-title' }, t('print.title')), meta, img, h('p', { class: 'print-note' }, t('print.note')));
  const prepare = async () => {
    const date = new Date().toLocaleString('ja-JP', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Asia/Tokyo' });
    meta.textContent = t('print.meta', { date, user: me ? `${me.user}${me.department ? `（${me.department}）` : ''}` : '' });
    await snapshot(map, img);
  };
  const button = h('button', { type: 'button', class: 'primary' }, icon('print'), ' ', t('print.button'));
  button.addEventListener('click', async () => {
    await prepare();
    window.print();
  });
  window.addEventListener('beforeprint', () => {
    if (!img.src) prepare();
  });
  el.replaceChildren(h('h2', {}, t('print.heading')), button);
  return { prepare };
}
