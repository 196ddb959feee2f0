// 「記録を追加」: field records on a phone. A form made from the layer's schema (types,
// choices, required), the current location or a tapped point, photos from the camera, editing
// a picked record with its ETag (a 412 shows both versions to choose from), the record's
// history, and the outbox for when there is no signal. How a record is placed (a point, a
// field drawn on the map, a parcel's shape) is placing.js.
import { h } from '../lib/dom.js';
import { addStrings, getLang, t } from '../lib/i18n.js';
import { enqueue, flush, pending } from './outbox.js';
import { placer } from './placing.js';
import { interiorPoint, parcelAt, showSketch } from './sketch.js';

const enc = encodeURIComponent;

addStrings({
  ja: {
    'capture.heading': '記録を追加',
    'capture.layer': '記録の種類',
    'capture.here': '現在地で追加',
    'capture.tap': '地図をタップして追加',
    'capture.tapHint': '記録する場所を地図上でタップしてください。',
    'capture.locating': '現在地を取得しています…',
    'capture.noLocation': '現在地を取得できません。地図をタップして場所を指定してください。',
    'capture.photos': '写真（カメラ）',
    'capture.save': '保存',
    'capture.saved': '保存しました（記録 {id}）。',
    'capture.offline': '電波がないため端末に保存しました。接続が戻ると送信します。',
    'capture.queued': '送信待ち {n} 件',
    'capture.sent': '送信待ちの記録 {n} 件を送信しました。',
    'capture.picked': '記録 {id} を選択しました。',
    'capture.edit': 'この記録を編集',
    'capture.history': '履歴',
    'capture.conflict': '他の人がこの記録を変更しました。どちらの内容にするか選んでください。',
    'capture.mine': 'あなたの入力',
    'capture.theirs': 'サーバーの内容',
    'capture.keepMine': 'あなたの入力で上書き',
    'capture.takeTheirs': 'サーバーの内容を使う',
    'capture.op.create': '作成',
    'capture.op.replace': '置換',
    'capture.op.update': '更新',
    'capture.op.delete': '削除',
    'capture.linked': '{field}「{value}」を地図に強調表示しました。',
    'capture.linkMissing': '{field}「{value}」は見つかりません。',
    'capture.records': '{field}「{value}」の記録 {n} 件',
    'capture.record': '記録 {id}',
  },
  en: {
    'capture.heading': 'Add a record',
    'capture.layer': 'Record type',
    'capture.here': 'Add at my location',
    'capture.tap': 'Add by tapping the map',
    'capture.tapHint': 'Tap the place of the record on the map.',
    'capture.locating': 'Finding your location…',
    'capture.noLocation': 'Your location is not available. Tap the map to choose the place.',
    'capture.photos': 'Photos (camera)',
    'capture.save': 'Save',
    'capture.saved': 'Saved (record {id}).',
    'capture.offline': 'No signal: saved on this device. It will be sent when the connection returns.',
    'capture.queued': '{n} waiting to be sent',
    'capture.sent': 'Sent {n} waiting record(s).',
    'capture.picked': 'Record {id} selected.',
    'capture.edit': 'Edit this record',
    'capture.history': 'History',
    'capture.conflict': 'Someone else changed this record. Choose which version to keep.',
    'capture.mine': 'Your entry',
    'capture.theirs': 'On the server',
    'capture.keepMine': 'Keep your entry',
    'capture.takeTheirs': 'Use the server’s version',
    'capture.op.create': 'created',
    'capture.op.replace': 'replaced',
    'capture.op.update': 'updated',
    'capture.op.delete': 'deleted',
    'capture.linked': '{field} “{value}” is highlighted on the map.',
    'capture.linkMissing': '{field} “{value}” was not found.',
    'capture.records': '{n} record(s) for {field} “{value}”',
    'capture.record': 'Record {id}',
  },
});

/** A fetch that says what went wrong in the current language. */
async function send(url, { method = 'GET', body, headers = {} } = {}) {
  const res = await fetch(url, { method, body, headers, credentials: 'same-origin' });
  const json = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((getLang() === 'ja' ? json?.message_ja : json?.message) ?? `HTTP ${res.status}`);
    err.status = res.status;
    err.body = json;
    err.etag = res.headers.get('ETag');
    throw err;
  }
  return { json, etag: res.headers.get('ETag') };
}

const offline = (e) => navigator.onLine === false || e instanceof TypeError;

async function uploadPhotos(layer, blobs) {
  const ids = [];
  for (const b of blobs) {
    const { json } = await send(`/ogc/collections/${enc(layer)}/photos`, { method: 'POST', body: b });
    ids.push(json.id);
  }
  return ids;
}

/** Sends one record (photos first). Throws when it could not. */
async function sendRecord({ layer, feature, photos, photoField }) {
  const f = structuredClone(feature);
  if (photoField && photos?.length) f.properties[photoField] = await uploadPhotos(layer, photos);
  return send(`/ogc/collections/${enc(layer)}/items`, {
    method: 'POST',
    body: JSON.stringify(f),
    headers: { 'Content-Type': 'application/geo+json' },
  });
}

const LINK = 'km-link';

/** Linked features (a record's main, a main's records) drawn over the map in blue. */
function showLinked(map, features) {
  const data = { type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: {} })) };
  const src = map.getSource(LINK);
  if (src) return src.setData(data);
  map.addSource(LINK, { type: 'geojson', data });
  const only = (types) => ['match', ['geometry-type'], types, true, false];
  map.addLayer({ id: `${LINK}-line`, type: 'line', source: LINK, filter: only(['LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']), paint: { 'line-color': '#0068b7', 'line-width': 7, 'line-opacity': 0.8 } });
  map.addLayer({ id: `${LINK}-point`, type: 'circle', source: LINK, filter: only(['Point', 'MultiPoint']), paint: { 'circle-radius': 12, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#0068b7', 'circle-stroke-width': 4 } });
}

/** Features of `layer` whose attribute `field` is `value` (the link rule: same name, same value). */
async function linkedItems(layer, field, value) {
  const q = new URLSearchParams({ [field]: value, limit: '50' });
  const { json } = await send(`/ogc/collections/${enc(layer)}/items?${q}`);
  return json.features ?? [];
}

/**
 * Fills a form's empty linked fields from the area feature at `at` (farmland's 地番 from
 * the chiban parcel there), when the user sees that layer.
 */
async function fillFromLinks(form, schema, at) {
  for (const f of schema.fields.filter((x) => x.link)) {
    const el = form.elements.namedItem(f.name);
    if (!el || el.value) continue;
    try {
      const hit = (await parcelAt(send, f.link, at))?.feature;
      if (hit?.properties?.[f.name] != null && !el.value) el.value = hit.properties[f.name];
    } catch {
      // the layer is missing or hidden from us: the field stays for the user to fill
    }
  }
}

function input(field, value) {
  const id = `cap-${field.name}`;
  const label = h('label', { for: id }, getLang() === 'ja' ? field.name : field.en || field.name);
  let el;
  if (field.choices?.length) {
    el = h('select', { id, name: field.name }, h('option', { value: '' }, '—'), ...field.choices.map((c) => h('option', { value: c }, c)));
  } else if (field.type === 'date') {
    el = h('input', { id, name: field.name, type: 'date' });
  } else if (field.type === 'int' || field.type === 'float') {
    el = h('input', { id, name: field.name, type: 'number', step: field.type === 'int' ? '1' : 'any' });
  } else {
    el = h('input', { id, name: field.name, type: 'text' });
  }
  if (value != null) el.value = value;
  if (field.type === 'date' && value == null && field.fill === 'today') el.value = new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 10);
  el.required = Boolean(field.required);
  return h('div', 'field', label, el);
}

function readForm(form, schema) {
  const props = {};
  for (const f of schema.fields) {
    const el = form.elements.namedItem(f.name);
    if (!el || f.photos) continue;
    const v = el.value.trim();
    props[f.name] = v === '' ? null : f.type === 'int' ? parseInt(v, 10) : f.type === 'float' ? Number(v) : v;
  }
  return props;
}

/**
 * Mounts the capture panel. `me` is the signed-in user, `map` the MapLibre map,
 * `onSaved(layer)` redraws a layer; `placing.on` is set while the map's taps place a record
 * (so other panels leave those taps alone).
 */
export async function mountCapture(el, { me, map, onSaved, placing = {} }) {
  const schemas = {};
  for (const id of Object.keys(me.layers ?? {})) {
    try {
      const { json } = await send(`/ogc/collections/${enc(id)}/schema`);
      if (json.editable) schemas[id] = json;
    } catch {
      // not editable for us
    }
  }
  if (!Object.keys(schemas).length) return;
  el.hidden = false;
  const status = h('p', { class: 'hint', role: 'status', id: 'capture-status' });
  const queued = h('p', { class: 'hint', id: 'capture-queue' });
  const body = h('div');
  const layerSel = h('select', { id: 'capture-layer' }, ...Object.values(schemas).map((s) => h('option', { value: s.id }, getLang() === 'ja' ? s.title.ja : s.title.en)));
  let picked = null; // { layer, id } of a record picked on the map

  const showQueue = async () => {
    const n = (await pending().catch(() => [])).length;
    queued.textContent = n ? t('capture.queued', { n }) : '';
  };
  const sendQueued = async () => {
    let n = 0;
    try {
      n = await flush(sendRecord);
    } catch {
      // still offline: the outbox keeps them
    }
    // The count first, then the announcement: a reader of 「送信しました」 never sees a stale count.
    await showQueue();
    if (n) {
      status.textContent = t('capture.sent', { n });
      for (const s of Object.keys(schemas)) onSaved(s);
    }
  };
  window.addEventListener('online', sendQueued);

  /** `at` a point, or `geometry` (a polygon) with `preset` values; or `feature` to edit. */
  const form = (schema, { at, geometry, preset, feature, etag } = {}) => {
    const shape = geometry ?? (at ? { type: 'Point', coordinates: at } : null);
    const fields = schema.fields.filter((f) => f.fill !== 'user');
    const photoField = schema.fields.find((f) => f.photos)?.name;
    const photos = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: 'capture-photos' });
    const f = h(
      'form',
      { class: 'capture-form', tabindex: '-1' },
      ...fields.filter((x) => !x.photos).map((x) => input(x, feature?.properties?.[x.name] ?? preset?.[x.name])),
      photoField ? h('div', 'field', h('label', { for: 'capture-photos' }, t('capture.photos')), photos) : null,
      h('button', { type: 'submit' }, t('capture.save')),
    );
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const props = readForm(f, schema);
      const blobs = [...photos.files];
      if (feature) return saveEdit(schema, feature, etag, props, blobs, photoField);
      const record = { layer: schema.id, feature: { type: 'Feature', geometry: shape, properties: props }, photos: blobs, photoField };
      try {
        if (navigator.onLine === false) throw new TypeError('offline');
        const { json } = await sendRecord(record);
        status.textContent = t('capture.saved', { id: json.id });
        picked = { layer: schema.id, id: json.id };
        onSaved(schema.id);
        showSketch(map);
        body.replaceChildren(historyButton());
      } catch (e) {
        if (!offline(e)) return void (status.textContent = e.message);
        await enqueue(record);
        status.textContent = t('capture.offline');
        showSketch(map);
        body.replaceChildren();
        showQueue();
      }
    });
    body.replaceChildren(f);
    if (shape) fillFromLinks(f, schema, at ?? interiorPoint(shape));
    return f;
  };

  const saveEdit = async (schema, feature, etag, props, blobs, photoField, force = false) => {
    const url = `/ogc/collections/${enc(schema.id)}/items/${feature.id}`;
    try {
      const patch = { properties: props };
      if (photoField && blobs.length) patch.properties[photoField] = [...(feature.properties[photoField] ?? []), ...(await uploadPhotos(schema.id, blobs))];
      const res = await send(url, { method: 'PATCH', body: JSON.stringify(patch), headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': etag } });
      status.textContent = t('capture.saved', { id: feature.id });
      onSaved(schema.id);
      body.replaceChildren(historyButton());
      return res;
    } catch (e) {
      if (e.status !== 412 || force) return void (status.textContent = e.message);
      conflict(schema, feature, props, e, photoField);
    }
  };

  /** A 412: both versions side by side; keep mine (sent again against theirs) or take theirs. */
  const conflict = (schema, feature, mine, e, photoField) => {
    const theirs = e.body?.details?.find((d) => d.current)?.current;
    const table = h('table', { class: 'conflict' }, h('tr', null, h('th', null, ''), h('th', null, t('capture.mine')), h('th', null, t('capture.theirs'))),
      ...Object.keys(mine).map((k) => h('tr', null, h('th', null, k), h('td', null, String(mine[k] ?? '')), h('td', null, String(theirs?.properties?.[k] ?? '')))));
    const keep = h('button', { type: 'button', onclick: () => saveEdit(schema, theirs, e.etag, mine, [], photoField, true) }, t('capture.keepMine'));
    const take = h('button', { type: 'button', onclick: () => form(schema, { feature: theirs, etag: e.etag }) }, t('capture.takeTheirs'));
    status.textContent = t('capture.conflict');
    body.replaceChildren(table, keep, take);
  };

  const historyButton = () => h('button', { type: 'button', id: 'capture-history', onclick: showHistory }, t('capture.history'));
  const showHistory = async () => {
    if (!picked) return;
    const { json } = await send(`/ogc/collections/${enc(picked.layer)}/items/${picked.id}/history`);
    const rows = json.versions.map((v) => h('li', null, `${v.at.replace('T', ' ').replace('Z', ' UTC')} ${v.by ?? ''} ${t(`capture.op.${v.op}`)}`));
    body.replaceChildren(h('h3', null, t('capture.history')), h('ol', { class: 'history' }, ...rows), editButton());
  };
  const editButton = () => h('button', { type: 'button', onclick: editPicked }, t('capture.edit'));
  const editPicked = async () => {
    if (!picked) return;
    const { json, etag } = await send(`/ogc/collections/${enc(picked.layer)}/items/${picked.id}`);
    form(schemas[picked.layer], { feature: json, etag });
  };

  const choose = h('div');
  const current = () => schemas[layerSel.value];
  const place = placer({
    map,
    me,
    schema: current,
    status,
    body,
    placing,
    hideChoices: (hide) => (choose.hidden = hide),
    onPlace: (opts) => form(current(), opts),
    get: send,
    offline,
  });
  layerSel.addEventListener('change', () => {
    place.stop();
    body.replaceChildren();
    place.update();
  });
  /** A record picked (on the map or in a main's list): its buttons, and its main highlighted. */
  const pick = async (layer, id) => {
    place.stop();
    picked = { layer, id };
    status.textContent = t('capture.picked', { id });
    const links = h('p', { class: 'hint', id: 'capture-links' });
    body.replaceChildren(editButton(), historyButton(), links);
    const { json: record } = await send(`/ogc/collections/${enc(layer)}/items/${id}`);
    const shown = [record];
    const said = [];
    for (const f of schemas[layer].fields.filter((x) => x.link)) {
      const value = record.properties?.[f.name];
      if (value == null || value === '') continue;
      const found = await linkedItems(f.link, f.name, value).catch(() => []);
      shown.push(...found);
      said.push(t(found.length ? 'capture.linked' : 'capture.linkMissing', { field: f.name, value }));
    }
    links.textContent = said.join(' ');
    showLinked(map, shown);
  };

  /** A main (a feature of a layer some record field links to) picked: its records, listed. */
  const showRecordsOf = async (layer, id) => {
    const { json: main } = await send(`/ogc/collections/${enc(layer)}/items/${id}`);
    const parts = [];
    const shown = [main];
    for (const schema of Object.values(schemas)) {
      for (const f of schema.fields.filter((x) => x.link === layer)) {
        const value = main.properties?.[f.name];
        if (value == null || value === '') continue;
        const records = await linkedItems(schema.id, f.name, value);
        shown.push(...records);
        const label = (r) => [t('capture.record', { id: r.id }), ...schema.fields.filter((x) => x.required).map((x) => r.properties?.[x.name] ?? '')].join(' ');
        parts.push(
          h('h3', null, t('capture.records', { field: f.name, value, n: records.length })),
          h('ul', { class: 'linked-records' }, ...records.map((r) => h('li', null, h('button', { type: 'button', onclick: () => pick(schema.id, r.id) }, label(r))))),
        );
      }
    }
    status.textContent = '';
    body.replaceChildren(...parts);
    showLinked(map, shown);
  };
  const linkedTo = (layer) => Object.values(schemas).some((s) => s.fields.some((f) => f.link === layer));

  map.on('click', (ev) => {
    if (place.tap([ev.lngLat.lng, ev.lngLat.lat])) return;
    const hits = map.queryRenderedFeatures(ev.point).filter((f) => f.id != null);
    const hit = hits.find((f) => schemas[f.source]);
    if (hit) return void pick(hit.source, hit.id).catch((e) => (status.textContent = e.message));
    const main = hits.find((f) => linkedTo(f.source));
    if (main) showRecordsOf(main.source, main.id).catch((e) => (status.textContent = e.message));
  });

  choose.append(h('div', 'field', h('label', { for: 'capture-layer' }, t('capture.layer')), layerSel), place.group);
  place.update();
  el.replaceChildren(
    h('h2', null, t('capture.heading')),
    choose,
    status,
    queued,
    body,
  );
  showQueue();
  if (navigator.onLine !== false) sendQueued();
}
