// 閲覧申請 (web approval): ask for a locked layer or attributes with a reason and period, see
// my requests and their state, and — for approvers — decide pending requests with a comment.
import { request } from '../lib/api.js';
import { fmtDate, h, say, statusLine, uid } from '../lib/dom.js';
import { pick, t } from '../lib/i18n.js';

/**
 * Mount the access-request panel in `el`. `me` is `/auth/me` (with `requestable`); `titles`
 * maps layer ids to titles. Returns `{refresh}`.
 */
export function mountAccessRequests(el, { me, titles = {} }) {
  const status = statusLine();
  const mine = h('div', { class: 'req-mine' });
  const pending = h('div', { class: 'req-pending' });
  const titleOf = (id) => pick(titles[id]) || pick(me.requestable?.find((r) => r.layer === id)?.title) || id;
  const refresh = async () => {
    try {
      const [own, todo] = await Promise.all([
        request('/api/access-requests'),
        request('/api/access-requests?pending=1'),
      ]);
      renderMine(mine, own.requests ?? [], titleOf);
      renderPending(pending, todo.requests ?? [], titleOf, status, refresh);
    } catch (e) {
      say(status, e.message, { error: true });
    }
  };
  el.replaceChildren(
    h('h2', {}, t('req.heading')),
    requestForm(me, status, refresh),
    status,
    mine,
    pending,
  );
  refresh();
  return { refresh };
}

function requestForm(me, status, refresh) {
  const options = me.requestable ?? [];
  if (!options.length) return h('p', { class: 'hint' }, t('req.none'));
  const selId = uid('req-layer');
  const reasonId = uid('req-reason');
  const daysId = uid('req-days');
  const select = h(
    'select',
    { id: selId, name: 'layer' },
    options.map((r, i) => {
      const title = pick(r.title) || r.layer;
      const text = r.hidden_attributes
        ? t('req.attrs', { title, list: r.hidden_attributes.join('、') })
        : t('req.wholeAll', { title });
      return h('option', { value: String(i), 'data-layer': r.layer }, text);
    }),
  );
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: 3, required: true, maxlength: 2000 });
  const days = h('input', { id: daysId, name: 'days', type: 'number', min: 1, max: 90, value: 30, required: true, inputmode: 'numeric' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('req.submit'));
  const form = h(
    'form',
    { class: 'req-form', novalidate: true },
    h('label', { for: selId }, t('req.layer')),
    select,
    h('label', { for: reasonId }, t('req.reason')),
    reason,
    h('label', { for: daysId }, t('req.days')),
    days,
    submit,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = options[Number(select.value)];
    submit.disabled = true;
    try {
      // 「レイヤー全体」 asks for the layer with every attribute: what the form says is granted.
      const body = { layer: r.layer, attributes: r.hidden_attributes ?? '*', reason: reason.value, days: Number(days.value) };
      const created = await request('/api/access-requests', { method: 'POST', json: body });
      say(status, t('req.sent', { id: created.id }));
      reason.value = '';
      await refresh();
    } catch (e) {
      say(status, e.message, { error: true });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function attrsText(a) {
  if (a == null) return t('req.layeronly');
  if (a === '*') return t('req.all');
  return a.join('、');
}

function statusBadge(s) {
  return h('span', { class: `badge state-${s}` }, t(`status.${s}`));
}

function requestLine(r, titleOf) {
  return [
    h('p', { class: 'req-title' }, statusBadge(r.status), ' ', t('req.item', { id: r.id, layer: titleOf(r.layer), attrs: attrsText(r.attributes), days: r.days, user: r.user })),
    h('p', { class: 'req-detail' }, t('req.item.reason', { reason: r.reason })),
    r.comment ? h('p', { class: 'req-detail' }, t('req.item.comment', { comment: r.comment })) : null,
    r.grant_expires_at ? h('p', { class: 'req-detail' }, t('req.item.until', { date: fmtDate(r.grant_expires_at) })) : null,
  ];
}

function renderMine(el, requests, titleOf) {
  el.replaceChildren(
    h('h3', {}, t('req.mine')),
    requests.length
      ? h('ul', { class: 'req-list' }, requests.map((r) => h('li', { 'data-request': r.id, 'data-status': r.status }, requestLine(r, titleOf))))
      : h('p', { class: 'hint' }, t('req.mine.none')),
  );
}

function renderPending(el, requests, titleOf, status, refresh) {
  if (!requests.length) {
    el.replaceChildren();
    return;
  }
  el.replaceChildren(
    h('h3', {}, t('req.pending')),
    h('ul', { class: 'req-list' }, requests.map((r) => pendingItem(r, titleOf, status, refresh))),
  );
}

function pendingItem(r, titleOf, status, refresh) {
  const commentId = uid('req-comment');
  const comment = h('textarea', { id: commentId, rows: 2, maxlength: 2000 });
  const decide = async (action) => {
    const key = action === 'approve' ? 'req.confirm.approve' : 'req.confirm.reject';
    if (!window.confirm(t(key, { id: r.id, user: r.user, layer: `${titleOf(r.layer)}（${attrsText(r.attributes)}）` }))) return;
    try {
      await request(`/api/access-requests/${r.id}/${action}`, { method: 'POST', json: { comment: comment.value } });
      say(status, t('req.decided', { id: r.id, action: t(action === 'approve' ? 'req.approve' : 'req.reject') }));
      await refresh();
    } catch (e) {
      say(status, e.message, { error: true });
    }
  };
  const approve = h('button', { type: 'button', class: 'primary', onclick: () => decide('approve') }, t('req.approve'));
  const reject = h('button', { type: 'button', onclick: () => decide('reject') }, t('req.reject'));
  return h(
    'li',
    { 'data-request': r.id },
    requestLine(r, titleOf),
    h('label', { for: commentId }, t('req.comment')),
    comment,
    h('div', { class: 'buttons' }, approve, reject),
  );
}
