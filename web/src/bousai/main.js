// 防災モード (/?mode=bousai[&hazard=flood|dosha|jishin|tsunami|takashio]): a plain, large-type
// phone screen for an emergency. The nearest shelters for the chosen hazard from the phone's
// location (or from a district, an address or a 地番 when location is refused), with distance,
// minutes on foot and a walking-route link. No map library: the list is the answer, and the
// full map is one link away. Works from the device's copy when the network fails (sw.js).
import '../styles/lib.css';
import '../styles/page.css';
import './bousai.css';
import '../public/strings.js';
import './strings.js';
import { at, search } from '../lib/api.js';
import { watchNetwork } from '../lib/banner.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { getLang, initLang, onLangChange, setLang, t } from '../lib/i18n.js';
import { copyNotice, getJsonWithAge, registerServiceWorker } from '../lib/offline.js';
import { HAZARDS, hazard, hazardCode, hazardFromCode, onHazardChange, setHazard } from '../public/hazard.js';
import { hazardFacts, hazardParagraphs } from '../public/hazard-text.js';
import { anchor, districts, nearestShelters } from '../public/nearest-local.js';
import { shelterItem } from '../public/shelter-item.js';

const SHELTERS = '/ogc/collections/shelters/items?limit=1000';

initLang();
watchNetwork();
registerServiceWorker();
document.getElementById('lang-button').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));
const wanted = hazardFromCode(new URLSearchParams(location.search).get('hazard'));
if (wanted) setHazard(wanted);

const root = document.getElementById('bousai');
const heading = root.querySelector('h1');
const switcher = h('div', { class: 'hazard-switch', role: 'group' });
const locateButton = h('button', { type: 'button', class: 'big-button', onclick: () => locate() });
const status = statusLine('');
const copy = h('p', { class: 'copy-notice', hidden: true });
const facts = h('div', { class: 'facts', 'aria-live': 'polite' });
const results = h('section', { class: 'results', 'aria-labelledby': 'results-heading' });
const other = h('section', { class: 'other-place', 'aria-labelledby': 'other-heading' });
const links = h('nav', { class: 'bousai-links' });
root.append(switcher, locateButton, status, copy, facts, results, other, links);

/** What the list is measured from: the phone ('here') or a chosen place. */
let from = null;
let shelters = null;
let sheltersLoad = null;

function loadShelters() {
  sheltersLoad ??= getJsonWithAge(SHELTERS).then(
    ({ body, savedAt }) => {
      shelters = body.features;
      copy.hidden = !savedAt;
      if (savedAt) copy.textContent = copyNotice(savedAt);
      renderOther();
      return shelters;
    },
    (e) => {
      sheltersLoad = null;
      throw e;
    },
  );
  return sheltersLoad;
}

function renderStatic() {
  switcher.setAttribute('aria-label', t('bousai.hazard'));
  switcher.replaceChildren(
    ...HAZARDS.map((hz) =>
      h('button', { type: 'button', 'aria-pressed': String(hz === hazard()), onclick: () => setHazard(hz) }, t(`hazard.${hz}`)),
    ),
  );
  locateButton.textContent = t('bousai.locate');
  const here = from?.at ? `#17/${from.at[1].toFixed(5)}/${from.at[0].toFixed(5)}&layers=shelters` : '';
  links.replaceChildren(
    h('p', 'call', t('bousai.call')),
    h('a', { href: `/${here}` }, t('bousai.fullMap')),
    h('a', { href: '/timeline' }, t('bousai.timeline')),
    h('a', { href: '/help' }, t('bousai.help')),
  );
}

function renderOther() {
  const select = h('select', { id: 'district' });
  select.append(new Option(t('bousai.districtPick'), ''));
  for (const d of districts(shelters ?? [])) select.append(new Option(d.name, d.at.join(',')));
  select.addEventListener('change', () => {
    if (!select.value) return;
    const at = select.value.split(',').map(Number);
    show({ at, label: select.selectedOptions[0].text });
  });
  const input = h('input', { id: 'place-query', type: 'search', autocomplete: 'off', maxlength: 200, 'aria-describedby': 'place-hint' });
  const form = h(
    'form',
    { class: 'place-form', role: 'search' },
    h('label', { for: 'place-query' }, t('bousai.query')),
    h('p', { id: 'place-hint', class: 'hint' }, t('bousai.queryHint')),
    input,
    h('button', { type: 'submit', class: 'big-button secondary' }, t('bousai.search')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (q) findPlace(q);
  });
  other.replaceChildren(
    h('h2', { id: 'other-heading' }, t('bousai.other')),
    h('div', 'field', h('label', { for: 'district' }, t('bousai.district')), select),
    form,
  );
}

async function findPlace(q) {
  status.textContent = t('popup.loading');
  try {
    const fc = await search(q, { limit: 5 });
    const [f] = fc.features;
    if (!f) {
      results.replaceChildren(errorBox(t('bousai.notFound', { q })));
      status.textContent = '';
      return;
    }
    show({ at: anchor(f.geometry), label: f.label ?? q });
  } catch (e) {
    status.textContent = '';
    results.replaceChildren(errorBox(e.message));
  }
}

function locate() {
  if (!navigator.geolocation) {
    refused('bousai.unavailable');
    return;
  }
  status.textContent = t('bousai.locating');
  navigator.geolocation.getCurrentPosition(
    (pos) => show({ at: [pos.coords.longitude, pos.coords.latitude], label: null }),
    (err) => refused(err.code === 1 ? 'bousai.denied' : 'bousai.unavailable'),
    { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
  );
}

function refused(key) {
  status.textContent = '';
  results.replaceChildren(errorBox(t(key)));
  other.classList.add('wanted');
  other.querySelector('select, input')?.focus();
}

/** List the shelters nearest to `place` for the chosen hazard, and the hazards there. */
async function show(place) {
  from = place;
  renderStatic();
  status.textContent = t('bousai.loading');
  let list;
  try {
    list = nearestShelters(await loadShelters(), place.at, hazard(), 5);
  } catch (e) {
    status.textContent = '';
    results.replaceChildren(errorBox(e.message));
    return;
  }
  status.textContent = '';
  const title = place.label
    ? t('bousai.from.place', { place: place.label, hazard: t(`hazard.${hazard()}`) })
    : t('bousai.from.here', { hazard: t(`hazard.${hazard()}`) });
  const ol = h('ol', 'shelter-list');
  const fromPoint = place.label ? undefined : place.at;
  for (const f of list) {
    const [lon, lat] = f.geometry.coordinates;
    ol.append(shelterItem(f, { from: fromPoint, level: 'h3', mapHref: `/#17/${lat}/${lon}&layers=shelters` }));
  }
  results.replaceChildren(h('h2', { id: 'results-heading', tabindex: '-1' }, title), list.length ? ol : h('p', null, t('bousai.none')));
  document.body.dataset.listed = String(list.length);
  performance.mark?.('kashimap:shelters-shown');
  hazardsAt(place.at);
}

let factsFor = null;
async function hazardsAt(point) {
  factsFor = point;
  facts.replaceChildren();
  try {
    const res = await at(point[0], point[1], hazard());
    if (factsFor !== point) return;
    const found = hazardFacts(res.hazards);
    if (found.length) facts.replaceChildren(...hazardParagraphs(found), h('p', 'hint', t('hz.sample')));
  } catch {
    // the hazards are extra; the list above is the answer
  }
}

onHazardChange(() => {
  const url = new URL(location.href);
  url.searchParams.set('hazard', hazardCode(hazard()));
  history.replaceState(history.state, '', url);
  renderStatic();
  if (from) show(from);
});
onLangChange(() => {
  renderStatic();
  renderOther();
  if (from) show(from);
});

renderStatic();
renderOther();
loadShelters().catch((e) => results.replaceChildren(errorBox(e.message)));
heading.hidden = false;
// Ask for the location at once (the page's purpose), unless the browser already knows it
// was refused: then the other ways are offered straight away.
(async () => {
  try {
    const p = await navigator.permissions?.query({ name: 'geolocation' });
    if (p?.state === 'denied') {
      refused('bousai.denied');
      return;
    }
  } catch {
    // no Permissions API (older Safari, some in-app browsers): just ask
  }
  locate();
})();
