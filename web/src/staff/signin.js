// Sign-in panel: the form when signed out, who I am and 「ログアウト」 when signed in.
import { request } from '../lib/api.js';
import { h, say, statusLine, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/** Who is signed in (`GET /auth/me`), or null. Network errors propagate. */
export async function whoAmI() {
  try {
    return await request('/auth/me', { session: false });
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/**
 * Mount the sign-in panel in `el`. `me` is the current `/auth/me` (or null); `notice` is a
 * message to show at once (e.g. the session expired). `onChange(me)` runs after sign-in or
 * sign-out (the page reloads the map for the new identity).
 */
export function mountSignIn(el, { me = null, notice = '', onChange = () => {} } = {}) {
  el.replaceChildren(me ? signedIn(me, onChange) : signInForm(notice, onChange));
}

function signInForm(notice, onChange) {
  const userId = uid('user');
  const passId = uid('pass');
  const status = statusLine();
  status.id = uid('signin-status');
  const user = h('input', { id: userId, name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', {
    id: passId,
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': status.id,
  });
  const button = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const form = h(
    'form',
    { class: 'signin', novalidate: true },
    h('h2', {}, t('signin.heading')),
    h('p', { class: 'hint' }, t('signin.hint')),
    h('label', { for: userId }, t('signin.user')),
    user,
    h('label', { for: passId }, t('signin.password')),
    pass,
    button,
    status,
  );
  if (notice) say(status, notice, { error: true });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!user.value.trim() || !pass.value) {
      say(status, t('signin.required'), { error: true });
      (user.value.trim() ? pass : user).focus();
      return;
    }
    button.disabled = true;
    say(status, t('signin.busy'));
    try {
      await request('/auth/login', { method: 'POST', json: { username: user.value.trim(), password: pass.value }, session: false });
      onChange(await whoAmI());
    } catch (e) {
      say(status, e.message, { error: true });
      pass.value = '';
      pass.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function signedIn(me, onChange) {
  const status = statusLine();
  const who = t('signin.as', { user: me.user, department: me.department || (me.staff ? '' : t('signin.contractor')) });
  const out = h('button', { type: 'button' }, t('signin.out'));
  out.addEventListener('click', async () => {
    out.disabled = true;
    try {
      await request('/auth/logout', { method: 'POST', session: false });
      onChange(null);
    } catch (e) {
      say(status, e.message, { error: true });
      out.disabled = false;
    }
  });
  return h('div', { class: 'whoami' }, h('span', { class: 'user', 'data-user': me.user }, who), out, status);
}
