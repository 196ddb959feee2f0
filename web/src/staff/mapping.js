// 「列の対応」: the file's columns beside the layer's fields, for a file whose column names
// differ from the layer's (GSI's 施設・場所名 for 名称, a department's own headings). Each field
// gets a list of the file's columns, set to what the server matched or to a suggestion; the
// choice is sent again as the upload's `mapping` (layer field → file column).
import { h, uid } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

/** How alike two names are, 0–1: shared characters, with a bonus when one contains the other. */
export function likeness(a, b) {
  if (!a || !b) return 0;
  if (a === b) return 1;
  const chars = new Set(a);
  const shared = [...new Set(b)].filter((c) => chars.has(c)).length;
  const base = shared / Math.max(new Set(a).size, new Set(b).size);
  return a.includes(b) || b.includes(a) ? Math.max(base, 0.6) : base;
}

/**
 * For each layer field, the file column it is read from: the server's match, the same name,
 * or the likeliest unused column (then `suggested`).
 * @returns {{field: string, type?: string, required?: boolean, column: string, suggested: boolean}[]}
 */
export function proposals(columns) {
  const file = columns?.file ?? [];
  const mapped = new Map((columns?.mapped ?? []).map((m) => [m.field, m.column]));
  const taken = new Set([...mapped.values(), ...file.filter((c) => (columns?.layer ?? []).some((f) => f.name === c))]);
  return (columns?.layer ?? []).map((f) => {
    const known = mapped.get(f.name) ?? (file.includes(f.name) ? f.name : '');
    if (known) return { field: f.name, type: f.type, required: f.required, column: known, suggested: false };
    const best = file
      .filter((c) => !taken.has(c))
      .map((c) => [c, likeness(f.name, c)])
      .sort((x, y) => y[1] - x[1])[0];
    if (best && best[1] >= 0.3) {
      taken.add(best[0]);
      return { field: f.name, type: f.type, required: f.required, column: best[0], suggested: true };
    }
    return { field: f.name, type: f.type, required: f.required, column: '', suggested: false };
  });
}

/** True when some layer field is not matched by a file column (the table is then shown). */
export function needsMapping(columns) {
  const file = columns?.file ?? [];
  const mapped = new Set((columns?.mapped ?? []).map((m) => m.field));
  return (columns?.layer ?? []).some((f) => !mapped.has(f.name) && !file.includes(f.name)) && file.length > 0;
}

/**
 * The mapping table as a `<form>`; `onSubmit(mapping)` gets `{field: column}` for the fields
 * whose column has another name.
 */
export function mappingForm(columns, onSubmit) {
  // Fields that need attention (no column, or only a suggestion) come first.
  const rows = proposals(columns).sort((a, b) => Number(Boolean(a.column) && !a.suggested) - Number(Boolean(b.column) && !b.suggested));
  const file = columns.file ?? [];
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const selects = rows.map((r) => {
    const id = uid('map');
    const select = h(
      'select',
      { id, name: r.field, 'data-field': r.field },
      h('option', { value: '' }, t('map.none')),
      file.map((c) => h('option', { value: c, selected: c === r.column }, c)),
    );
    const tag = r.suggested ? h('span', { class: 'badge map-suggested' }, t('map.suggested')) : null;
    const type = r.type ? h('span', { class: 'map-type' }, t(`map.type.${r.type}`)) : null;
    const req = r.required ? h('span', { class: 'badge map-required' }, t('map.required')) : null;
    return { r, select, row: h('tr', {}, h('th', { scope: 'row' }, h('label', { for: id }, r.field), ' ', type, ' ', req), h('td', {}, select, ' ', tag)) };
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('map.submit'));
  const form = h(
    'form',
    { class: 'mapping', novalidate: true },
    h('h4', {}, t('map.heading')),
    h('p', { class: 'hint' }, t('map.hint')),
    h('table', { class: 'mapping-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('map.field')), h('th', { scope: 'col' }, t('map.column')))), h('tbody', {}, selects.map((s) => s.row))),
    status,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const mapping = {};
    const used = new Map();
    for (const { r, select } of selects) {
      const c = select.value;
      if (!c) continue;
      if (used.has(c)) {
        status.textContent = t('map.twice', { column: c, a: used.get(c), b: r.field });
        status.classList.add('is-error');
        select.focus();
        return;
      }
      used.set(c, r.field);
      if (c !== r.field) mapping[r.field] = c;
    }
    onSubmit(mapping);
  });
  return form;
}
