// データ更新: upload a new version of a layer, read its validation report, publish it, see the
// version history and roll back — each step that changes the live map asks for confirmation.
import { request } from '../lib/api.js';
import { fmtDate, h, say, statusLine, uid } from '../lib/dom.js';
import { pick, t } from '../lib/i18n.js';
import { mappingForm, needsMapping } from './mapping.js';
import { renderReport, whereText } from './report.js';

/** Accepted upload formats (docs/upload-guide.md §2). */
export const ACCEPT = '.geojson,.json,.zip,.gpkg,.fgb,.csv';

/** `srs` choices (docs/upload-guide.md §5); '' = detect from the file. */
const SRS = [
  ['', 'up.auto'],
  ['EPSG:6668', 'JGD2011 緯度経度 (EPSG:6668)'],
  ['EPSG:6670', 'JGD2011 平面直角座標系 II系 (EPSG:6670)'],
  ['EPSG:6669', 'JGD2011 平面直角座標系 I系 (EPSG:6669)'],
  ['EPSG:6671', 'JGD2011 平面直角座標系 III系 (EPSG:6671)'],
  ['EPSG:4612', 'JGD2000 緯度経度 (EPSG:4612)'],
  ['EPSG:2444', 'JGD2000 平面直角座標系 II系 (EPSG:2444)'],
  ['EPSG:4326', 'WGS 84 緯度経度 (EPSG:4326)'],
  ['EPSG:3857', 'Web メルカトル (EPSG:3857)'],
];
const ENCODINGS = [
  ['', 'up.auto'],
  ['utf-8', 'UTF-8'],
  ['shift_jis', 'Shift_JIS (CP932)'],
];

function labelled(label, control) {
  const id = uid('up');
  control.id = id;
  return [h('label', { for: id }, label), control];
}

/** Does `file` look like a CSV (by its name; the server judges by content)? */
const isCsv = (file) => /\.csv$/i.test(file?.name ?? '');

/**
 * The column names in a CSV's first line, to suggest for the coordinate columns. Decoded as
 * `encoding` when chosen, else UTF-8 when valid, else Shift_JIS (as the server guesses);
 * the delimiter is the commonest of comma, tab and semicolon. [] when unreadable.
 * @param {File} file
 * @param {string} encoding
 * @returns {Promise<string[]>}
 */
export async function csvHeader(file, encoding = '') {
  try {
    const bytes = await file.slice(0, 64 * 1024).arrayBuffer();
    let text;
    try {
      text = new TextDecoder(encoding || 'utf-8', { fatal: !encoding }).decode(bytes);
    } catch {
      text = new TextDecoder('shift_jis').decode(bytes);
    }
    const line = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
    const delimiter = [',', '\t', ';'].reduce((a, b) => (line.split(b).length > line.split(a).length ? b : a));
    return line
      .split(delimiter)
      .map((n) => n.trim().replace(/^"(.*)"$/, '$1').trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * 「X（経度）の列名」「Y（緯度）の列名」: for CSV files whose coordinate columns have names the
 * server does not know. Hidden until a `.csv` is chosen; the CSV's column names are offered
 * as suggestions.
 */
function columnFields() {
  const hint = h('p', { class: 'hint', id: uid('up-cols-hint') }, t('up.columnsHint'));
  const names = h('datalist', { id: uid('up-cols') });
  const input = (name) =>
    h('input', { type: 'text', name, list: names.id, autocomplete: 'off', spellcheck: 'false', maxlength: 200, 'aria-describedby': hint.id });
  const x = input('x_column');
  const y = input('y_column');
  const wrap = h(
    'fieldset',
    { class: 'columns', hidden: true },
    h('legend', {}, t('up.columns')),
    labelled(t('up.xColumn'), x),
    labelled(t('up.yColumn'), y),
    hint,
    names,
  );
  return {
    wrap,
    x,
    y,
    /** Show the fields for a CSV, with its column names as suggestions. */
    async show(file, encoding) {
      wrap.hidden = !isCsv(file);
      names.replaceChildren();
      if (wrap.hidden) return;
      const header = await csvHeader(file, encoding);
      names.replaceChildren(...header.map((n) => h('option', { value: n })));
    },
    /** Both names, only one (a mistake), or neither. */
    values: () => (wrap.hidden ? ['', ''] : [x.value.trim(), y.value.trim()]),
  };
}

function choice(name, options) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v }, text.startsWith('up.') ? t(text) : text)));
}

/**
 * Mount the upload panel in `el`. `me.uploadable` lists the layers; `titles` maps ids to
 * titles; `onPublished(layer)` runs after a publish or rollback (to redraw the map).
 */
export function mountUploads(el, { me, titles = {}, onPublished = () => {}, onPreview = () => {} }) {
  const layers = me.uploadable ?? [];
  if (!layers.length) {
    el.replaceChildren();
    el.hidden = true;
    return { refresh: () => {} };
  }
  const status = statusLine();
  const result = h('div', { class: 'upload-result' });
  const history = h('div', { class: 'versions' });
  const layer = choice('layer', layers.map((id) => [id, pick(titles[id]) || id]));
  const file = h('input', { type: 'file', name: 'file', accept: ACCEPT, required: true });
  const encoding = choice('encoding', ENCODINGS);
  const srs = choice('srs', SRS);
  const sourceLayer = choice('source_layer', []);
  const sourceWrap = h('div', { class: 'source-layer', hidden: true }, labelled(t('up.source'), sourceLayer));
  const columns = columnFields();
  const repairId = uid('up-repair');
  const repair = h('input', { type: 'checkbox', name: 'repair', id: repairId });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('up.submit'));
  const ctx = { layer, status, result, history, onPublished, onPreview, sourceLayer, sourceWrap, columns, titles };
  const form = h(
    'form',
    { class: 'upload-form', novalidate: true },
    labelled(t('up.layer'), layer),
    labelled(t('up.file'), file),
    labelled(t('up.encoding'), encoding),
    labelled(t('up.srs'), srs),
    columns.wrap,
    sourceWrap,
    h('div', { class: 'check' }, repair, h('label', { for: repairId }, t('up.repair'))),
    submit,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!file.files?.length) {
      say(status, t('up.nofile'), { error: true });
      file.focus();
      return;
    }
    const [x, y] = columns.values();
    if (Boolean(x) !== Boolean(y)) {
      say(status, t('up.columnsBoth'), { error: true });
      (x ? columns.y : columns.x).focus();
      return;
    }
    const fd = new FormData();
    fd.append('file', file.files[0]);
    if (encoding.value) fd.append('encoding', encoding.value);
    if (srs.value) fd.append('srs', srs.value);
    if (x && y) {
      fd.append('x_column', x);
      fd.append('y_column', y);
    }
    if (repair.checked) fd.append('repair', 'true');
    if (!sourceWrap.hidden && sourceLayer.value) fd.append('source_layer', sourceLayer.value);
    submit.disabled = true;
    await send(ctx, fd);
    submit.disabled = false;
  });
  file.addEventListener('change', () => {
    sourceWrap.hidden = true;
    columns.show(file.files?.[0], encoding.value);
  });
  encoding.addEventListener('change', () => columns.show(file.files?.[0], encoding.value));
  layer.addEventListener('change', () => {
    result.replaceChildren();
    loadVersions(ctx);
  });
  el.hidden = false;
  el.replaceChildren(h('h2', {}, t('up.heading')), form, status, result, history);
  loadVersions(ctx);
  return { refresh: () => loadVersions(ctx) };
}

/** A layer's title for dialogs (its id only when the title is unknown). */
const titleOf = (ctx, id) => pick(ctx.titles?.[id]) || id;

/** 「地図で確認」: the staged version drawn over the map (again: hidden). */
async function togglePreview(ctx, staged, button) {
  if (button.getAttribute('aria-pressed') === 'true') {
    ctx.onPreview(null);
    button.setAttribute('aria-pressed', 'false');
    return;
  }
  try {
    const url = `/api/layers/${encodeURIComponent(staged.layer)}/uploads/${encodeURIComponent(staged.id)}/preview`;
    const data = await request(url, { timeout: 5 * 60_000 });
    ctx.onPreview(data);
    button.setAttribute('aria-pressed', 'true');
    say(ctx.status, t('up.previewing', { count: data.features.length }));
  } catch (e) {
    say(ctx.status, e.message, { error: true });
  }
}

async function send(ctx, fd) {
  const { layer, status, result } = ctx;
  ctx.onPreview(null);
  result.replaceChildren();
  say(status, t('up.busy'));
  try {
    const staged = await request(`/api/layers/${encodeURIComponent(layer.value)}/uploads`, { method: 'POST', form: fd, timeout: 30 * 60_000 });
    say(status, t('rep.accepted'));
    const publish = h('button', { type: 'button', class: 'primary' }, t('up.publish'));
    publish.addEventListener('click', () => doPublish(ctx, staged, publish));
    const discard = h('button', { type: 'button' }, t('up.discard'));
    discard.addEventListener('click', () => doDiscard(ctx, staged.layer, staged.id, staged.version));
    const preview = h('button', { type: 'button', 'aria-pressed': 'false' }, t('up.preview'));
    preview.addEventListener('click', () => togglePreview(ctx, staged, preview));
    result.replaceChildren(renderReport(staged.report), mapping(ctx, fd, staged.report), h('div', { class: 'actions' }, publish, ' ', preview, ' ', discard));
    await loadVersions(ctx);
  } catch (e) {
    say(status, e.message, { error: true });
    if (e.body?.report) result.replaceChildren(renderReport(e.body.report), mapping(ctx, fd, e.body.report));
    else result.replaceChildren(errorDetails(e), columnsAdvice(ctx, fd, e));
    offerSourceLayers(ctx, e);
  }
}

/** The column mapping table when some layer field found no column; it uploads again. */
function mapping(ctx, fd, report) {
  if (!needsMapping(report?.columns)) return '';
  return mappingForm(report.columns, (map) => {
    const again = new FormData();
    for (const [k, v] of fd.entries()) if (k !== 'mapping') again.append(k, v);
    if (Object.keys(map).length) again.append('mapping', JSON.stringify(map));
    send(ctx, again);
  });
}

/** Where a file is broken (`details[].where`), as a list under the message. */
function errorDetails(e) {
  const places = (e.body?.details ?? []).map((d) => d.where).filter(Boolean);
  if (!places.length) return '';
  return h('ul', { class: 'problems' }, places.map((w) => h('li', {}, whereText(w))));
}

/**
 * A CSV refused at its header (line 1) is nearly always about the coordinate columns: point
 * to the column fields (to fill in, or to check what was given).
 */
function columnsAdvice(ctx, fd, e) {
  const header = (e.body?.details ?? []).some((d) => d.where?.line === 1);
  if (e.code !== 'invalid_file' || !header || ctx.columns.wrap.hidden) return '';
  return h('p', { class: 'hint columns-advice' }, t(fd.has('x_column') ? 'up.columnsCheck' : 'up.columnsNeeded'));
}

/** A file with several layers (GeoPackage, zip): let the user pick one and upload again. */
function offerSourceLayers(ctx, e) {
  const names = (e.body?.details ?? []).flatMap((d) => d.source_layers ?? []);
  if (e.code !== 'choose_source_layer' || !names.length) return;
  ctx.sourceLayer.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  ctx.sourceWrap.hidden = false;
  ctx.sourceLayer.focus();
}

async function doPublish(ctx, staged, button) {
  const c = staged.report?.changes ?? {};
  const counts = { before: c.before ?? 0, after: c.after ?? staged.report?.feature_count ?? 0, added: c.added ?? 0, removed: c.removed ?? 0, changed: c.changed ?? 0 };
  if (!window.confirm(t('up.confirm.publish2', { title: titleOf(ctx, staged.layer), ...counts }))) return;
  button.disabled = true;
  try {
    const url = `/api/layers/${encodeURIComponent(staged.layer)}/uploads/${encodeURIComponent(staged.id)}/publish`;
    let res;
    try {
      res = await request(url, { method: 'POST', timeout: 5 * 60_000 });
    } catch (e) {
      // A drop over the layer's limit needs a second, explicit (and audited) confirmation.
      if (e.code !== 'confirm_drop' || !window.confirm(t('up.confirm.drop', { message: e.message }))) throw e;
      res = await request(`${url}?confirm_drop=true`, { method: 'POST', timeout: 5 * 60_000 });
    }
    ctx.onPreview(null);
    say(ctx.status, t('up.published', { version: res.published?.version ?? staged.version }));
    button.remove();
    await loadVersions(ctx);
    ctx.onPublished(staged.layer);
  } catch (e) {
    say(ctx.status, e.message, { error: true });
    button.disabled = false;
  }
}

async function loadVersions(ctx) {
  const id = ctx.layer.value;
  try {
    const body = await request(`/api/layers/${encodeURIComponent(id)}/versions`);
    ctx.history.replaceChildren(
      h('h3', {}, t('up.versions')),
      h('ul', { class: 'version-list' }, (body.versions ?? []).map((v) => versionItem(ctx, id, v))),
    );
  } catch (e) {
    say(ctx.status, e.message, { error: true });
  }
}

function versionItem(ctx, layer, v) {
  const line = t('up.versionline', { created: fmtDate(v.created), user: v.created_by ?? '', name: v.source_name ?? '', count: v.feature_count ?? '' });
  let action = null;
  if (v.current) action = h('span', { class: 'badge state-current' }, h('span', { 'aria-hidden': 'true' }, '● '), t('up.current'));
  else if (v.staged) {
    const discard = h('button', { type: 'button' }, t('up.discard'));
    discard.addEventListener('click', () => doDiscard(ctx, layer, v.staged, v.version));
    action = h('span', {}, h('span', { class: 'badge state-staged' }, t('up.staged')), ' ', discard);
  }
  else {
    action = h('button', { type: 'button' }, t('up.activate'));
    action.addEventListener('click', () => activate(ctx, layer, v.version));
  }
  return h(
    'li',
    { 'data-version': v.version, 'data-current': v.current ? 'true' : 'false' },
    h('strong', {}, t('up.version', { version: v.version })),
    ' ',
    h('span', {}, line),
    ' ',
    action,
  );
}

async function activate(ctx, layer, version) {
  if (!window.confirm(t('up.confirm.activate2', { title: titleOf(ctx, layer), version }))) return;
  try {
    await request(`/api/layers/${encodeURIComponent(layer)}/versions/${version}/activate`, { method: 'POST', timeout: 5 * 60_000 });
    say(ctx.status, t('up.activated', { version }));
    await loadVersions(ctx);
    ctx.onPublished(layer);
  } catch (e) {
    say(ctx.status, e.message, { error: true });
  }
}

/** Deletes an abandoned staged upload and its version. */
async function doDiscard(ctx, layer, id, version) {
  if (!window.confirm(t('up.confirm.discard', { title: titleOf(ctx, layer), version }))) return;
  try {
    await request(`/api/layers/${encodeURIComponent(layer)}/uploads/${encodeURIComponent(id)}`, { method: 'DELETE' });
    ctx.onPreview(null);
    say(ctx.status, t('up.discarded', { version }));
    ctx.result.replaceChildren();
    await loadVersions(ctx);
  } catch (e) {
    say(ctx.status, e.message, { error: true });
  }
}
