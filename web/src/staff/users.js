// 利用者の管理 (administrators): every account with its department, roles, state and expiry,
// edited in place (a 異動 changes roles; a contractor gets a last day), disabled, given a new
// password, or added. 利用状況: prints and view requests per day and layer. The server audits
// every change.
import { request } from '../lib/api.js';
import { h, say, statusLine, uid } from '../lib/dom.js';
import { pick, t } from '../lib/i18n.js';

const base = '/api/admin/users';

/** `2027-03-31T15:00:00Z` (the end of the last day in Japan) → `2027-03-31`. */
export function lastDay(expires) {
  if (!expires) return '';
  const end = new Date(new Date(expires).getTime() - 1000 + 9 * 3600_000);
  return end.toISOString().slice(0, 10);
}

function stateOf(u) {
  if (u.disabled) return t('users.disabled');
  return u.active ? t('users.active') : t('users.expired');
}

function input(attrs) {
  const el = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  return el;
}

/** One account as a table row with its edit controls. */
function userRow(u, ctx) {
  const label = (what) => `${u.name} ${t(what)}`;
  const dept = input({ value: u.department, 'aria-label': label('users.department'), maxlength: 100 });
  const roles = input({ value: u.roles.join(' '), 'aria-label': label('users.roles'), maxlength: 400 });
  const expires = h('input', { type: 'date', value: lastDay(u.expires), 'aria-label': label('users.expires') });
  const save = h('button', { type: 'button' }, t('users.save'));
  save.addEventListener('click', async () => {
    const body = {
      department: dept.value.trim(),
      roles: roles.value.split(/[\s,、]+/).filter(Boolean),
      expires: expires.value || 'never',
    };
    await ctx.act(() => request(`${base}/${encodeURIComponent(u.name)}`, { method: 'PATCH', json: body }), t('users.saved', { name: u.name }));
  });
  const toggle = h('button', { type: 'button' }, t(u.disabled ? 'users.enable' : 'users.disable'));
  toggle.addEventListener('click', async () => {
    if (!u.disabled && !window.confirm(t('users.confirm.disable', { name: u.name }))) return;
    await ctx.act(() => request(`${base}/${encodeURIComponent(u.name)}`, { method: 'PATCH', json: { disabled: !u.disabled } }), t('users.saved', { name: u.name }));
  });
  const reset = h('button', { type: 'button' }, t('users.reset'));
  reset.addEventListener('click', async () => {
    if (!window.confirm(t('users.confirm.reset', { name: u.name }))) return;
    await ctx.act(async () => {
      const r = await request(`${base}/${encodeURIComponent(u.name)}/password`, { method: 'POST', json: {} });
      return { message: t('users.resetDone', { name: u.name, password: r.password }) };
    });
  });
  const field = (key, el) => h('label', { class: 'user-field' }, h('span', {}, t(key)), el);
  return h(
    'li',
    { 'data-account': u.name, class: u.active ? 'user' : 'user is-inactive' },
    h('p', { class: 'user-head' }, h('strong', {}, u.name), ' ', h('span', { class: 'badge' }, t(u.staff ? 'users.staff' : 'users.contractor')), ' ', h('span', { class: 'user-state' }, stateOf(u))),
    h('div', { class: 'user-fields' }, field('users.department', dept), field('users.roles', roles), field('users.expires', expires)),
    h('p', { class: 'user-actions' }, save, ' ', toggle, ' ', reset),
  );
}

function createForm(ctx) {
  const field = (key, el) => {
    const id = uid('user');
    el.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, t(key)), el);
  };
  const name = input({ name: 'name', required: true, maxlength: 64 });
  const dept = input({ name: 'department', maxlength: 100 });
  const roles = input({ name: 'roles', maxlength: 400 });
  const expires = h('input', { type: 'date', name: 'expires' });
  const contractor = h('input', { type: 'checkbox', name: 'contractor' });
  const form = h(
    'form',
    { class: 'user-create', novalidate: true },
    h('h3', {}, t('users.create')),
    field('users.name', name),
    field('users.department', dept),
    field('users.roles', roles),
    field('users.expires', expires),
    field('users.isContractor', contractor),
    h('button', { type: 'submit', class: 'primary' }, t('users.create')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(),
      department: dept.value.trim(),
      roles: roles.value.split(/[\s,、]+/).filter(Boolean),
      staff: !contractor.checked,
    };
    if (expires.value) body.expires = expires.value;
    await ctx.act(async () => {
      const r = await request(base, { method: 'POST', json: body });
      form.reset();
      return { message: t('users.created', { name: r.user.name, password: r.password }) };
    });
  });
  return form;
}

/** Mount the accounts page in `el` (administrators only; hidden otherwise). */
export function mountUsers(el, { me }) {
  if (!me?.admin) {
    el.hidden = true;
    return;
  }
  const status = statusLine();
  const table = h('div', { class: 'users-table' });
  const ctx = {
    /** Runs a change, shows its message (or error), then reloads the list. */
    async act(work, done) {
      try {
        const r = await work();
        say(status, r?.message ?? done);
        await load();
      } catch (e) {
        say(status, e.message, { error: true });
      }
    },
  };
  async function load() {
    const body = await request(base);
    table.replaceChildren(h('ul', { class: 'users' }, body.users.map((u) => userRow(u, ctx))));
  }
  el.hidden = false;
  el.replaceChildren(h('h2', {}, t('users.heading')), status, table, createForm(ctx));
  load().catch((e) => say(status, e.message, { error: true }));
}

/** Mount 利用状況 (prints and requests per day and layer) in `el`, for administrators. */
export async function mountUsage(el, { me }) {
  if (!me?.admin) {
    el.hidden = true;
    return;
  }
  const status = statusLine();
  el.hidden = false;
  el.replaceChildren(h('h2', {}, t('usage.heading')), status);
  try {
    const body = await request('/api/admin/usage');
    if (!body.days.length) return say(status, t('usage.none'));
    const head = ['usage.day', 'usage.layer', 'usage.prints', 'usage.requests', 'usage.exports'].map((k) => h('th', { scope: 'col' }, t(k)));
    const rows = body.days.map((d) =>
      h('tr', { 'data-layer': d.layer }, h('td', {}, d.day), h('th', { scope: 'row' }, pick(body.titles?.[d.layer]) || d.layer), h('td', { class: 'num' }, d.prints), h('td', { class: 'num' }, d.requests), h('td', { class: 'num' }, d.exports)),
    );
    el.append(h('table', { class: 'usage' }, h('thead', {}, h('tr', {}, head)), h('tbody', {}, rows)));
  } catch (e) {
    say(status, e.message, { error: true });
  }
}
