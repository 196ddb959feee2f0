// レイヤーの管理 (administrators): every served layer, and a form that creates a department's
// new layer (title, department, geometry, fields with types, labels and choices, who sees
// it and who uploads) without a restart. The server validates it like a layer file and
// serves it at once with a default style; its first version is then uploaded in 「データの
// 更新（アップロード）」. A layer created here can be removed (its versions are kept, so creating it again
// brings them back). Every change is audited by the server.
import { request } from '../lib/api.js';
import { h, say, statusLine, uid } from '../lib/dom.js';
import { pick, t } from '../lib/i18n.js';

const base = '/api/admin/layers';
const NOTICE = 'kashimap.layerAdmin.notice';
const TYPES = ['string', 'int', 'float', 'bool', 'date'];
const GEOMETRIES = ['Point', 'LineString', 'Polygon'];

const words = (s) => s.split(/[\s,、]+/).filter(Boolean);

/** Keeps a message across the reload that brings the new layer into the map and panels. */
function leaveNotice(text) {
  try {
    sessionStorage.setItem(NOTICE, text);
  } catch {
    // no storage: the reload simply shows no message
  }
}

function takeNotice() {
  try {
    const text = sessionStorage.getItem(NOTICE) ?? '';
    sessionStorage.removeItem(NOTICE);
    return text;
  } catch {
    return '';
  }
}

function field(key, el) {
  el.id ||= uid('layer');
  return h('div', { class: 'field' }, h('label', { for: el.id }, t(key)), el);
}

function text(name, attrs = {}) {
  return h('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', ...attrs });
}

function select(name, values, label) {
  return h('select', { name }, values.map((v) => h('option', { value: v }, label(v))));
}

/** One attribute of the new layer: name, English name, type, choices. */
function fieldRow(n) {
  const label = (key) => `${t('layerAdmin.field')} ${n}: ${t(key)}`;
  return h(
    'fieldset',
    { class: 'layer-field', 'data-field': n },
    h('legend', {}, `${t('layerAdmin.field')} ${n}`),
    h('input', { type: 'text', name: 'name', 'aria-label': label('layerAdmin.fieldName'), placeholder: t('layerAdmin.fieldName') }),
    h('input', { type: 'text', name: 'en', 'aria-label': label('layerAdmin.fieldEn'), placeholder: t('layerAdmin.fieldEn') }),
    h('select', { name: 'type', 'aria-label': label('layerAdmin.fieldType') }, TYPES.map((v) => h('option', { value: v }, t(`layerAdmin.type.${v}`)))),
    h('input', { type: 'text', name: 'choices', 'aria-label': label('layerAdmin.choices'), placeholder: t('layerAdmin.choices') }),
  );
}

/** The definition the form describes, in the shape of a layer file. */
export function definitionOf(form) {
  const v = (name) => form.elements.namedItem(name).value.trim();
  const fields = {};
  for (const row of form.querySelectorAll('.layer-field')) {
    const get = (name) => row.querySelector(`[name="${name}"]`).value.trim();
    if (!get('name')) continue;
    const f = { en: get('en') || get('name'), type: get('type') };
    const choices = words(get('choices'));
    if (choices.length) f.choices = choices;
    fields[get('name')] = f;
  }
  const view = v('view');
  const def = {
    id: v('id'),
    title: { ja: v('title_ja'), en: v('title_en') || v('title_ja') },
    department: v('department'),
    geometry: v('geometry'),
    attribution: v('attribution') || v('department'),
    fields,
    access: { view: view === 'roles' ? words(v('view_roles')) : view, upload: words(v('upload')) },
  };
  const first = Object.keys(fields)[0];
  if (first) def.label = first;
  return def;
}

function createForm(ctx) {
  const fields = h('div', { class: 'layer-fields' }, [1, 2].map(fieldRow));
  const more = h('button', { type: 'button' }, t('layerAdmin.addField'));
  more.addEventListener('click', () => fields.append(fieldRow(fields.children.length + 1)));
  const view = select('view', ['staff', 'public', 'roles'], (v) => t(`layerAdmin.view.${v}`));
  const form = h(
    'form',
    { class: 'layer-create', novalidate: true },
    h('h3', {}, t('layerAdmin.create')),
    field('layerAdmin.id', text('id', { required: true, maxlength: 64, pattern: '[a-z][a-z0-9_-]*' })),
    field('layerAdmin.titleJa', text('title_ja', { required: true })),
    field('layerAdmin.titleEn', text('title_en')),
    field('layerAdmin.department', text('department', { required: true })),
    field('layerAdmin.geometry', select('geometry', GEOMETRIES, (g) => t(`layerAdmin.geometry.${g}`))),
    field('layerAdmin.attribution', text('attribution')),
    field('layerAdmin.view', view),
    field('layerAdmin.viewRoles', text('view_roles')),
    field('layerAdmin.upload', text('upload')),
    h('p', { class: 'hint' }, t('layerAdmin.fieldsHint')),
    fields,
    h('p', {}, more),
    h('button', { type: 'submit', class: 'primary' }, t('layerAdmin.create')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const def = definitionOf(form);
    await ctx.act(async () => {
      await request(base, { method: 'POST', json: def });
      leaveNotice(t('layerAdmin.created', { title: def.title.ja, id: def.id }));
      location.reload();
    });
  });
  return form;
}

function layerRow(l, ctx) {
  const remove = l.created ? h('button', { type: 'button' }, t('layerAdmin.remove')) : null;
  remove?.addEventListener('click', async () => {
    if (!window.confirm(t('layerAdmin.confirmRemove', { title: pick(l.title) }))) return;
    await ctx.act(async () => {
      await request(`${base}/${encodeURIComponent(l.id)}`, { method: 'DELETE' });
      leaveNotice(t('layerAdmin.removed', { title: pick(l.title) }));
      location.reload();
    });
  });
  const state = l.features == null ? '' : t('layerAdmin.state', { version: l.version, features: l.features });
  return h(
    'li',
    { 'data-layer': l.id },
    h('strong', {}, pick(l.title)),
    ` (${l.id}) ${l.department} · ${[l.geometry].flat().map((g) => t(`layerAdmin.geometry.${g}`)).join(' / ')} · ${state}`,
    l.created ? h('span', { class: 'badge' }, t('layerAdmin.createdBadge')) : null,
    remove ? ' ' : null,
    remove,
  );
}

/** Mount the layer administration in `el` (administrators only; hidden otherwise). */
export function mountLayerAdmin(el, { me }) {
  if (!me?.admin) {
    el.hidden = true;
    return;
  }
  const status = statusLine(takeNotice());
  const list = h('div', { class: 'layer-list' });
  const ctx = {
    async act(work) {
      try {
        await work();
      } catch (e) {
        say(status, e.message, { error: true });
      }
    },
  };
  el.hidden = false;
  el.replaceChildren(h('h2', {}, t('layerAdmin.heading')), status, list, createForm(ctx));
  request(base)
    .then((body) => list.replaceChildren(h('ul', { class: 'layers-admin' }, body.layers.map((l) => layerRow(l, ctx)))))
    .catch((e) => say(status, e.message, { error: true }));
}
