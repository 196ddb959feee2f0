// Staff view (/staff): sign-in, the staff map cut to the caller's view, the shared layer list
// with 職員限定 badges, the clicked features (職員限定 attributes marked), 閲覧申請, uploads
// with their validation report, and pipe-map printing through the shared print layout.
import './strings.js';
import './staff.css';
import { getJson, layerInfo, onSessionExpired, publicFields, request } from '../lib/api.js';
import { watchNetwork } from '../lib/banner.js';
import { h, icon } from '../lib/dom.js';
import { getLang, initLang, onLangChange, setLang, t } from '../lib/i18n.js';
import { mountLayerList } from '../lib/layers.js';
import { createMap, onStyleReady } from '../lib/map.js';
import { featureStack, featuresAt, withFullFeatures } from '../lib/popup.js';
import { mountPrintForm } from '../lib/print-form.js';
import { mountAccessRequests } from './access-requests.js';
import { mountCapture } from './capture.js';
import { mountSignIn, whoAmI } from './signin.js';
import { mountUploads } from './uploads.js';
import { mountLayerAdmin } from './layer-admin.js';
import { mountUsage, mountUsers } from './users.js';

const EXPIRED = 'kashimap.expired';
const $ = (id) => document.getElementById(id);

/** Title, skip link and the language button follow the language (the rest via data-i18n). */
function labelPage() {
  document.title = t('app.title');
  $('lang-switch').lang = getLang() === 'ja' ? 'en' : 'ja';
}

function sessionExpired() {
  try {
    sessionStorage.setItem(EXPIRED, '1');
  } catch {
    // no storage: the form simply shows without the message
  }
  location.reload();
}

function takeNotice() {
  try {
    const flag = sessionStorage.getItem(EXPIRED);
    sessionStorage.removeItem(EXPIRED);
    return flag ? t('net.expired') : '';
  } catch {
    return '';
  }
}

function watchSession(me) {
  if (!me) return;
  onSessionExpired(sessionExpired);
  const check = async () => {
    try {
      if (!(await whoAmI())) sessionExpired();
    } catch {
      // offline for a moment: the next request says so
    }
  };
  // No polling: a timer would keep an idle session alive past its 30-minute idle limit.
  // Coming back to the tab is the user's own action, so that is when to check.
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
}

/**
 * Draw a layer again after a publish or rollback. The TileJSON's tile URLs carry the layer
 * version (`?v=`), so fresh TileJSON gives URLs no cache has seen; it is fetched past the
 * browser cache (`?t=`) because public TileJSON may be cached for minutes.
 */
async function refreshLayer(map, layer) {
  const src = map.getSource(layer);
  if (!src?.setTiles) return;
  try {
    const tj = await getJson(`/tiles/${encodeURIComponent(layer)}.json?t=${Date.now()}`);
    src.setTiles(tj.tiles);
  } catch {
    // the map keeps the old picture until the next reload
  }
}

/**
 * Draw a layer again once a saved edit has reached its tiles. The server applies an edit a
 * moment after answering it (off the request path; longer on a busy machine or a large
 * layer), and the TileJSON's tile URL carries the layer's revision: ask for it until the URL
 * differs from the one drawn when the edit was saved, backing off, for about a minute.
 */
async function refreshAfterEdit(map, layer) {
  const src = map.getSource(layer);
  if (!src?.setTiles) return;
  const drawn = src.tiles?.[0];
  for (let wait = 100; wait <= 25_600; wait *= 2) {
    try {
      const tj = await getJson(`/tiles/${encodeURIComponent(layer)}.json?t=${Date.now()}`);
      if (tj.tiles?.[0] !== drawn) {
        src.setTiles(tj.tiles);
        return;
      }
    } catch {
      // offline for a moment: ask again
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** 職員限定 = the caller's view of the layer is not the public one (`/auth/me`). */
const restricted = (me, id) => me?.layers?.[id]?.public === false;

/** The attributes shown, under a restricted layer's name. */
function attributesNote(me, id) {
  const names = me?.layers?.[id]?.attributes ?? [];
  return restricted(me, id) && names.length ? t('layers.attrs', { list: names.join('、') }) : null;
}

/** `isRestrictedField` for one layer: what the anonymous caller does not get. */
async function restrictedFields(me, layer) {
  if (!restricted(me, layer)) return () => false;
  const open = await publicFields(layer);
  return (name) => open != null && !open.has(name);
}

const SELECTION = 'km-selection';

/** The selected features drawn on top of everything, in a colour no layer uses. */
function showSelection(map, features) {
  const data = { type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: {} })) };
  const src = map.getSource(SELECTION);
  if (src) return src.setData(data);
  map.addSource(SELECTION, { type: 'geojson', data });
  const only = (types) => ['match', ['geometry-type'], types, true, false];
  map.addLayer({ id: `${SELECTION}-halo`, type: 'line', source: SELECTION, filter: only(['LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']), paint: { 'line-color': '#ffffff', 'line-width': 9, 'line-opacity': 0.9 } });
  map.addLayer({ id: `${SELECTION}-line`, type: 'line', source: SELECTION, filter: only(['LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']), paint: { 'line-color': '#e6007e', 'line-width': 5 } });
  map.addLayer({ id: `${SELECTION}-point`, type: 'circle', source: SELECTION, filter: only(['Point', 'MultiPoint']), paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#e6007e', 'circle-stroke-width': 4 } });
}

const PREVIEW = 'km-preview';

/** A staged version drawn over the map (orange), or removed with `null`. */
function showPreview(map, data) {
  const empty = { type: 'FeatureCollection', features: [] };
  const src = map.getSource(PREVIEW);
  if (src) return src.setData(data ?? empty);
  if (!data) return;
  map.addSource(PREVIEW, { type: 'geojson', data });
  const only = (types) => ['match', ['geometry-type'], types, true, false];
  map.addLayer({ id: `${PREVIEW}-fill`, type: 'fill', source: PREVIEW, filter: only(['Polygon', 'MultiPolygon']), paint: { 'fill-color': '#ff8c00', 'fill-opacity': 0.3 } });
  map.addLayer({ id: `${PREVIEW}-line`, type: 'line', source: PREVIEW, filter: only(['LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']), paint: { 'line-color': '#ff8c00', 'line-width': 3, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: `${PREVIEW}-point`, type: 'circle', source: PREVIEW, filter: only(['Point', 'MultiPoint']), paint: { 'circle-radius': 7, 'circle-color': '#ff8c00', 'circle-stroke-color': '#000000', 'circle-stroke-width': 1.5 } });
}

/**
 * 「選択した地物」: the features under a click, with the shared attribute lists; not while
 * `placing.on` (the click places a record: a point, a corner of a field, a parcel).
 */
function mountFeaturePanel(el, map, layers, me, placing = {}) {
  let shown = [];
  let seq = 0;
  const render = async () => {
    const run = ++seq;
    const head = h('h2', null, t('feature.heading'));
    if (!shown.length) return el.replaceChildren(head, h('p', 'hint', t('feature.hint')));
    const close = h('button', { type: 'button', onclick: () => ((shown = []), showSelection(map, []), render()) }, t('popup.close'));
    const parts = await Promise.all(
      shown.map(async ([layer, features]) => {
        const opts = { headingLevel: 'h3', isRestrictedField: await restrictedFields(me, layer) };
        return { layer, features, opts, section: await featureStack(layer, features, opts) };
      }),
    );
    if (run !== seq) return;
    el.replaceChildren(head, ...parts.map((p) => p.section), close);
    // The attributes where the eye is: the panel scrolls to the selection.
    el.scrollIntoView({ block: 'start' });
    for (const { layer, features, opts, section } of parts) {
      withFullFeatures(layer, features, opts, (full) => run === seq && section.replaceWith(full));
    }
  };
  map.on('click', (ev) => {
    if (placing.on) return;
    shown = [];
    let room = 5;
    for (const [layer, features] of featuresAt(map, ev.point, layers.ids(), 6)) {
      if (room <= 0) break;
      shown.push([layer, features.slice(0, room)]);
      room -= features.length;
    }
    showSelection(map, shown.flatMap(([, features]) => features));
    render();
  });
  render();
  return { render };
}

/**
 * 「管路図を印刷」: the shared print form with its title field (prefilled with the staff title),
 * and who printed it.
 */
function mountPrint(el, map, layers, me) {
  const body = h('div');
  const head = h('h2', null, t('staff.print.heading'));
  el.replaceChildren(head, body);
  el.hidden = false;
  const who = me.department ? `${me.user}（${me.department}）` : me.user;
  const form = mountPrintForm(body, map, layers, {
    title: () => t('staff.print.title'),
    notes: () => [t('staff.print.by', { user: who }), t('staff.print.note')],
    label: () => [icon('print'), ' ', t('staff.print.button')],
    focus: pipeFocus,
  });
  // Every print (the button or the browser's own command) is recorded: the server keeps the
  // prints that show a restricted layer (the 管路図) in the audit log.
  window.addEventListener('beforeprint', () => recordPrint(map, layers, form.options()));
  return {
    render() {
      head.textContent = t('staff.print.heading');
      form.render();
    },
  };
}

/** The water layers a 管路図 is about; the rest of the map prints quiet. */
const WATER = ['pipes', 'leaks'];

/**
 * With the pipes on the map, the print is a 管路図: pipes (and leak records) at full strength,
 * each main labelled with its 管路番号 and 口径, zoning and the rest faint, the basemap grey.
 */
function pipeFocus(visible) {
  if (!visible.includes('pipes')) return null;
  const text = (p) => [p['管路番号'], p['口径'] == null ? null : `φ${p['口径']}`].filter(Boolean).join(' ');
  return { layers: visible.filter((id) => WATER.includes(id)), labels: [{ layer: 'pipes', text }] };
}

/** Tells the server what is being printed: the visible layers and the extent. */
function recordPrint(map, layers, opts) {
  const b = map.getBounds();
  const body = {
    layers: layers.visible(),
    bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => Math.round(v * 1e6) / 1e6),
    paper: `${opts.paper} ${opts.orientation}`,
  };
  if (!body.layers.length) return;
  request('/api/prints', { method: 'POST', json: body }).catch(() => {
    // the print goes ahead; a lost record is logged by nobody but costs the user nothing
  });
}

/** The panels that need a session and not the map's style: 閲覧申請, uploads. */
async function mountStaffPanels(map, me) {
  const infos = await Promise.all(Object.keys(me.layers ?? {}).map((id) => layerInfo(id)));
  const titles = Object.fromEntries(infos.map((i) => [i.id, i.title]));
  const panels = () => {
    $('panel-requests').hidden = false;
    mountAccessRequests($('panel-requests'), { me, titles });
    mountUploads($('panel-uploads'), { me, titles, onPublished: (layer) => refreshLayer(map, layer), onPreview: (data) => showPreview(map, data) });
    mountUsers($('panel-users'), { me });
    mountUsage($('panel-usage'), { me });
    mountLayerAdmin($('panel-layer-admin'), { me });
  };
  panels();
  onLangChange(panels);
}

async function start() {
  initLang();
  labelPage();
  watchNetwork();
  $('lang-switch').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));
  const map = createMap($('map'), { style: 'staff' });
  let me = null;
  let notice = takeNotice();
  try {
    me = await whoAmI();
  } catch (e) {
    notice = e.message;
  }
  // sign-in and sign-out reload the page: the style, tiles and panels follow the new identity
  const signIn = () => mountSignIn($('panel-signin'), { me, notice, onChange: () => location.reload() });
  signIn();
  onLangChange(() => {
    labelPage();
    notice = '';
    signIn();
  });
  document.body.classList.toggle('signed-in', Boolean(me));
  watchSession(me);
  if (me) mountStaffPanels(map, me);
  onStyleReady(map, () => {
    const layers = mountLayerList($('panel-layers'), map, {
      isRestricted: (id) => restricted(me, id),
      note: (id) => attributesNote(me, id),
      legendOpen: false,
    });
    const placing = { on: false };
    const features = mountFeaturePanel($('panel-feature'), map, layers, me, placing);
    onLangChange(() => features.render());
    if (!me) return;
    const print = mountPrint($('panel-print'), map, layers, me);
    onLangChange(() => print.render());
    const capture = h('section', { class: 'panel', id: 'panel-capture', hidden: true });
    $('panels').prepend(capture);
    mountCapture(capture, { me, map, onSaved: (layer) => refreshAfterEdit(map, layer), placing });
  });
}

start();
