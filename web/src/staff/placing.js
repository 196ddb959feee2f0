// How a new record is placed (「記録を追加」): at the current location or a tapped point, and,
// for a layer that allows polygons, 「区画を描く」 (corners on the map, sketch.js) or
// 「筆の形を使う」 (the polygon of the parcel at a point). The capture panel (capture.js) gets
// the point, or the polygon and the values that come with it, for its form.
import { h } from '../lib/dom.js';
import { addStrings, t } from '../lib/i18n.js';
import { drawArea, parcelAt, showSketch } from './sketch.js';

addStrings({
  ja: {
    'capture.how': '記録の置き方',
    'capture.herePoint': '現在地（点）',
    'capture.tapPoint': 'タップした点',
    'capture.draw': '区画を描く',
    'capture.parcel': '筆の形を使う',
  },
  en: {
    'capture.how': 'How to place the record',
    'capture.herePoint': 'My location (point)',
    'capture.tapPoint': 'Tapped point',
    'capture.draw': 'Draw the field',
    'capture.parcel': 'Use the parcel’s shape',
  },
});

/** The geometry kinds a layer's records may have (`geometries`; older servers say one `geometry`). */
const kindsOf = (schema) => schema.geometries ?? [schema.geometry];

/** The layer whose shapes 「筆の形を使う」 takes: the first one a field links to (farmland: chiban). */
const parcelLayer = (schema) => schema.fields.find((f) => f.link)?.link;

/**
 * The placing buttons (`group`, a labelled group) for the record type `schema()`. `status` is
 * the panel's role=status line, `body` where a toolbar goes, `hideChoices(bool)` hides the
 * type and the buttons while a toolbar is up; `placing.on` is set while the map's taps place a
 * record; `onPlace({at})` or `onPlace({geometry, preset})` opens the form, and returns it;
 * `get(url)` and `offline(error)` are the capture's fetch and its test for no signal.
 * Returns `{ group, update(), tap([lon, lat]) → true when the tap placed something, stop() }`.
 */
export function placer({ map, me, schema, status, body, hideChoices, placing, onPlace, get, offline }) {
  let mode = null; // 'point' | 'draw' | 'parcel' while the map's taps place a record
  let sketch = null; // the field being drawn
  const say = (text) => (status.textContent = text);

  const setMode = (m) => {
    mode = m;
    placing.on = Boolean(m);
    hideChoices(m === 'draw' || m === 'parcel');
  };
  /** Ends any placing under way: the sketch and its outline go. */
  const stop = () => {
    sketch?.stop();
    sketch = null;
    showSketch(map);
    setMode(null);
  };
  const locate = (then) => {
    say(t('capture.locating'));
    navigator.geolocation.getCurrentPosition(
      (p) => {
        say('');
        then([p.coords.longitude, p.coords.latitude]);
      },
      () => say(t('capture.noLocation')),
      { enableHighAccuracy: true, timeout: 15_000 },
    );
  };
  /** The map's taps are wanted: on a phone the map comes into view, the toolbar under it. */
  const showMapAndTools = (focus) => {
    focus.focus({ preventScroll: true });
    map.getContainer().scrollIntoView({ block: 'start' });
    body.scrollIntoView({ block: 'nearest' });
  };
  /** The shape is chosen: the form, focused (without opening a phone's keyboard). */
  const place = (opts) => {
    setMode(null);
    showSketch(map, { geometry: opts.geometry });
    onPlace(opts).focus();
  };
  const button = (id, onclick) => h('button', { type: 'button', id, onclick });

  const here = button('capture-here', () => {
    stop();
    locate((at) => onPlace({ at }));
  });
  const tapped = button('capture-tap', () => {
    stop();
    setMode('point');
    say(t('capture.tapHint'));
  });
  const draw = button('capture-draw', () => {
    stop();
    setMode('draw');
    const cancel = () => {
      sketch = null;
      setMode(null);
      body.replaceChildren();
      draw.focus();
    };
    sketch = drawArea(map, { into: body, status, onDone: (geometry) => ((sketch = null), place({ geometry })), onCancel: cancel });
    showMapAndTools(body.querySelector('#sketch-center'));
  });

  /** 「筆の形を使う」 at `at`: the parcel's polygon, and its linked values (the 地番). */
  const takeParcel = async (at) => {
    const s = schema();
    const layer = parcelLayer(s);
    let hit;
    try {
      hit = await parcelAt(get, layer, at);
    } catch (e) {
      return void say(offline(e) ? t('parcel.offline') : e.status === 403 || e.status === 404 ? t('parcel.hidden') : e.message);
    }
    if (!hit) return void say(t('parcel.none'));
    const links = s.fields.filter((f) => f.link === layer && hit.feature.properties?.[f.name] != null);
    const preset = Object.fromEntries(links.map((f) => [f.name, hit.feature.properties[f.name]]));
    say(t('parcel.taken', { name: links.map((f) => preset[f.name]).join(' ') || hit.feature.id }));
    place({ geometry: hit.geometry, preset });
  };
  const parcel = button('capture-parcel', () => {
    stop();
    if (!me.layers?.[parcelLayer(schema())]) return void say(t('parcel.hidden'));
    if (navigator.onLine === false) return void say(t('parcel.offline'));
    setMode('parcel');
    say(t('parcel.hint'));
    const mine = h('button', { type: 'button', id: 'parcel-here', class: 'primary', onclick: () => locate(takeParcel) }, t('parcel.here'));
    const cancel = h('button', { type: 'button', id: 'parcel-cancel', onclick: () => (stop(), body.replaceChildren(), parcel.focus()) }, t('sketch.cancel'));
    body.replaceChildren(h('div', 'sketch-tools', mine, cancel));
    showMapAndTools(mine);
  });

  /** The buttons the chosen layer allows, named for it. */
  const update = () => {
    const kinds = kindsOf(schema());
    const areas = kinds.includes('Polygon');
    here.hidden = tapped.hidden = !kinds.includes('Point');
    draw.hidden = !areas;
    parcel.hidden = !areas || !parcelLayer(schema());
    here.textContent = t(areas ? 'capture.herePoint' : 'capture.here');
    tapped.textContent = t(areas ? 'capture.tapPoint' : 'capture.tap');
    draw.textContent = t('capture.draw');
    parcel.textContent = t('capture.parcel');
  };

  const tap = (at) => {
    if (mode === 'point') {
      setMode(null);
      say('');
      onPlace({ at });
    } else if (mode === 'draw') sketch.tap(at);
    else if (mode === 'parcel') takeParcel(at);
    else return false;
    return true;
  };

  const group = h('div', { class: 'actions capture-choices', role: 'group', 'aria-label': t('capture.how') }, here, tapped, draw, parcel);
  return { group, update, tap, stop };
}
