// The validation report of an upload, readable in Japanese: the verdict, a summary, then every
// problem with its severity (as text), message and place (feature, line, column).
import { h } from '../lib/dom.js';
import { pick, t } from '../lib/i18n.js';

/** A problem's place (feature, line, column, file) as words. */
export function whereText(w) {
  if (!w) return '';
  const parts = [];
  if (w.feature != null) parts.push(t('rep.where.feature', { n: w.feature }));
  if (w.line != null) parts.push(t('rep.where.line', { n: w.line }));
  if (w.field) parts.push(t('rep.where.field', { name: w.field }));
  if (w.file) parts.push(t('rep.where.file', { name: w.file }));
  return parts.join('・');
}

function problemItem(p) {
  const place = whereText(p.where);
  return h(
    'li',
    { class: `problem sev-${p.severity}`, 'data-code': p.code },
    h('span', { class: `badge sev-${p.severity}` }, t(`sev.${p.severity}`)),
    ' ',
    h('span', { class: 'problem-msg' }, pick(p.message)),
    place ? h('span', { class: 'problem-where' }, `（${place}）`) : null,
  );
}

const KINDS = { Point: 'kind.point', MultiPoint: 'kind.point', LineString: 'kind.line', MultiLineString: 'kind.line', Polygon: 'kind.polygon', MultiPolygon: 'kind.polygon' };

/** 点・線・面 (with the GeoJSON name, which staff see in their GIS). */
function kind(k) {
  return KINDS[k] ? `${t(KINDS[k])} (${k})` : k;
}

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function schemaText(s) {
  if (!s) return t('rep.nochange');
  const out = [];
  if (s.added?.length) out.push(t('rep.added', { list: s.added.join('、') }));
  if (s.removed?.length) out.push(t('rep.removed', { list: s.removed.join('、') }));
  if (s.type_changed?.length) out.push(t('rep.changed', { list: s.type_changed.map((c) => `${c.name} (${c.from}→${c.to})`).join('、') }));
  if (s.possibly_truncated?.length) out.push(t('rep.truncated', { list: s.possibly_truncated.join('、') }));
  return out.length ? out.join(' / ') : t('rep.nochange');
}

function invalidProblems(invalid) {
  return (invalid?.listed ?? []).flatMap((f) =>
    (f.problems ?? []).map((p) => ({ ...p, where: { ...p.where, feature: p.where?.feature ?? f.feature, line: p.where?.line ?? f.line } })),
  );
}

/** 「59件 → 6件（追加 0・削除 53・変更 0）」, with some names of what is added, removed, changed. */
function changesFacts(c) {
  if (!c) return null;
  const line = c.before ? t('rep.changesv', c) : t('rep.changes.first', c);
  const drop = c.before > c.after ? Math.round(((c.before - c.after) * 100) / c.before) : 0;
  const lists = ['removed', 'added', 'changed']
    .filter((k) => c.before && c.examples?.[k]?.length)
    .map((k) => h('details', { class: `changes-${k}` }, h('summary', {}, `${t(`rep.changes.${k}`)}（${c[k]}）`), h('p', {}, c.examples[k].join('、'))));
  return row(t('rep.changes'), h('span', { class: 'changes-count' }, line), drop > 10 ? h('strong', { class: 'changes-drop' }, ' ', t('rep.drop', { percent: drop })) : null, ...lists);
}

/** 「施設・場所名 → 名称（レイヤー定義の別名）」 */
function mappedFacts(columns) {
  const m = columns?.mapped ?? [];
  if (!m.length) return null;
  return row(t('rep.mapped'), m.map((x) => `${x.column} → ${x.field}（${t(`rep.mapped.${x.by}`)}）`).join('、'));
}

/** The report as a `<section>`; `report` is the server's `report` object. */
export function renderReport(report) {
  const problems = [...(report.problems ?? []), ...invalidProblems(report.invalid)];
  const count = (s) => problems.filter((p) => p.severity === s).length;
  const summary = t('rep.summary', { errors: count('error'), warnings: count('warning'), infos: count('info') });
  const g = report.geometry;
  const geometry = g
    ? t('rep.geometryv', {
        expected: kind(g.expected),
        found: Object.entries(g.found ?? {}).map(([k, v]) => `${kind(k)} ${v}`).join('、'),
        mismatched: g.mismatched ?? 0,
      })
    : '';
  return h(
    'section',
    { class: `report ${report.accepted ? 'is-accepted' : 'is-refused'}`, 'aria-label': t('rep.heading') },
    h('h3', {}, t('rep.heading')),
    h('p', { class: 'verdict' }, h('span', { 'aria-hidden': 'true' }, report.accepted ? '✔ ' : '✖ '), t(report.accepted ? 'rep.accepted' : 'rep.refused')),
    h('p', { class: 'summary' }, summary),
    h(
      'dl',
      { class: 'report-facts' },
      row(t('rep.file'), report.file?.name ?? ''),
      row(t('rep.format'), report.format?.name ?? ''),
      report.encoding ? row(t('rep.encoding'), `${report.encoding.name} — ${pick(report.encoding.message)}`) : null,
      report.crs ? row(t('rep.crs'), `EPSG:${report.crs.epsg} ${report.crs.name} — ${pick(report.crs.message)}`) : null,
      row(t('rep.counts'), t('rep.countsv', { read: report.features_read ?? 0, count: report.feature_count ?? 0 })),
      report.accepted ? changesFacts(report.changes) : null,
      mappedFacts(report.columns),
      geometry ? row(t('rep.geometry'), geometry) : null,
      row(t('rep.schema'), schemaText(report.schema)),
      report.missing_policy_attributes?.length ? row(t('rep.missing'), report.missing_policy_attributes.join('、')) : null,
      report.invalid?.total ? row(t('rep.invalid'), t('rep.invalidv', report.invalid)) : null,
    ),
    h('h4', {}, t('rep.problems')),
    problems.length ? h('ul', { class: 'problems' }, problems.map(problemItem)) : h('p', {}, t('rep.noproblems')),
  );
}
