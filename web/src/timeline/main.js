// マイ・タイムライン (/timeline): set home (location, a tap on the map, an address or a 地番),
// see the hazards there (/api/at), choose up to two shelters per hazard, or 「自宅に留まる」
// when home is outside every hazard area, and print an A4 sheet 「わたしの避難先」 with a
// map (straight lines from home to each chosen shelter) and walking-route links. Everything
// chosen stays in this device's localStorage; nothing is sent (the server is only asked what
// applies at the home point and for the shelter list, like any map view).
import qrcode from 'qrcode-generator';
import '../styles/lib.css';
import '../styles/page.css';
import './timeline.css';
import '../public/strings.js';
import './strings.js';
import { at, search } from '../lib/api.js';
import { watchNetwork } from '../lib/banner.js';
import { errorBox, h, statusLine } from '../lib/dom.js';
import { getLang, initLang, onLangChange, setLang, t } from '../lib/i18n.js';
import { createMap, maplibregl, onStyleReady } from '../lib/map.js';
import { copyNotice, getJsonWithAge, registerServiceWorker } from '../lib/offline.js';
import { distance, walkMinutes, walkingRouteUrl } from '../public/format.js';
import { HAZARDS } from '../public/hazard.js';
import { hazardFacts, hazardParagraphs } from '../public/hazard-text.js';
import { anchor, nearestShelters } from '../public/nearest-local.js';

const KEY = 'kashimap.timeline';
const SHELTERS = '/ogc/collections/shelters/items?limit=1000';
/** Candidates offered per hazard. */
const CANDIDATES = 5;
const MAX = 2;
const STAY = 'stay';

initLang();
watchNetwork();
registerServiceWorker();
document.getElementById('lang-button').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));

/** @type {{home: {at: [number, number], label: string | null} | null, choices: Record<string, (number | string)[]>}} */
const state = load();
let shelters = [];
let facts = null;
let homeMarker = null;

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (s && typeof s === 'object') return { home: s.home ?? null, choices: s.choices ?? {} };
  } catch {
    // nothing saved, or storage refused
  }
  return { home: null, choices: {} };
}

function save() {
  try {
    localStorage.setItem(KEY, JSON.stringify(state));
    saved.textContent = t('tl.saved');
  } catch {
    saved.textContent = '';
  }
}

const root = document.getElementById('timeline');
const homeSection = h('section', { class: 'tl-section', 'aria-labelledby': 'tl-home-h' });
const hazardSection = h('section', { class: 'tl-section', 'aria-labelledby': 'tl-hz-h' });
const chooseSection = h('section', { class: 'tl-section', 'aria-labelledby': 'tl-choose-h' });
const saved = statusLine('');
const actions = h('div', 'tl-actions');
const mapBox = h('div', { class: 'tl-map', id: 'tl-map' });
const homeLine = h('p', { class: 'tl-home-line', 'aria-live': 'polite' });
const homeStatus = h('div', 'tl-home-status');
const copy = h('p', { class: 'copy-notice', hidden: true });
root.append(copy, homeSection, hazardSection, chooseSection, saved, actions);
const sheet = h('div', { id: 'tl-sheet', class: 'tl-sheet' });
document.body.append(sheet);

function renderHome() {
  const input = h('input', { id: 'tl-query', type: 'search', autocomplete: 'off', maxlength: 200, 'aria-describedby': 'tl-query-hint' });
  const form = h(
    'form',
    { class: 'tl-form', role: 'search' },
    h('label', { for: 'tl-query' }, t('tl.query')),
    h('p', { id: 'tl-query-hint', class: 'hint' }, t('tl.queryHint')),
    h('div', 'tl-row', input, h('button', { type: 'submit', class: 'secondary' }, t('tl.find'))),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    homeStatus.replaceChildren(statusLine(t('popup.loading')));
    try {
      const [f] = (await search(q, { limit: 5 })).features;
      if (!f) homeStatus.replaceChildren(errorBox(t('tl.notFound', { q })));
      else setHome(anchor(f.geometry), f.label ?? q);
    } catch (err) {
      homeStatus.replaceChildren(errorBox(err.message));
    }
  });
  const locate = h('button', { type: 'button', class: 'primary' }, t('tl.useLocation'));
  locate.addEventListener('click', () => {
    homeStatus.replaceChildren(statusLine(t('nearby.locating')));
    navigator.geolocation?.getCurrentPosition(
      (pos) => setHome([pos.coords.longitude, pos.coords.latitude], null),
      () => homeStatus.replaceChildren(errorBox(t('tl.denied'))),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  });
  homeSection.replaceChildren(
    h('h2', { id: 'tl-home-h' }, t('tl.home')),
    homeLine,
    homeStatus,
    locate,
    form,
    h('p', 'hint', t('tl.tapHint')),
    mapBox,
  );
  renderHomeLine();
}

function renderHomeLine() {
  homeLine.textContent = state.home ? t('tl.homeAt', { label: state.home.label ?? t('tl.homeHere') }) : '';
}

async function setHome(point, label) {
  const moved = !state.home || state.home.at.join() !== point.join();
  state.home = { at: point, label };
  if (moved) state.choices = {};
  homeStatus.replaceChildren();
  renderHomeLine();
  save();
  placeHome();
  map?.easeTo({ center: point, zoom: Math.max(map.getZoom(), 15) });
  await renderHazards();
  renderChoices();
}

async function renderHazards() {
  hazardSection.replaceChildren(h('h2', { id: 'tl-hz-h' }, t('tl.hazards')));
  facts = null;
  if (!state.home) return;
  hazardSection.append(statusLine(t('place.loading')));
  try {
    const res = await at(state.home.at[0], state.home.at[1]);
    facts = hazardFacts(res.hazards);
    hazardSection.replaceChildren(h('h2', { id: 'tl-hz-h' }, t('tl.hazards')), ...hazardParagraphs(facts), h('p', 'hint', t('hz.sample')));
  } catch (e) {
    hazardSection.replaceChildren(h('h2', { id: 'tl-hz-h' }, t('tl.hazards')), errorBox(e.message));
  }
}

/** 「自宅に留まる」 is offered only when home is outside every hazard area the server knows. */
function mayStay() {
  return Boolean(facts?.length) && facts.every((f) => !f.inArea);
}

function renderChoices() {
  chooseSection.replaceChildren(h('h2', { id: 'tl-choose-h' }, t('tl.choose')));
  if (!state.home || !shelters.length) return;
  for (const hz of HAZARDS) {
    const list = nearestShelters(shelters, state.home.at, hz, CANDIDATES);
    const chosen = new Set(state.choices[hz] ?? []);
    const note = h('p', { class: 'tl-max', 'aria-live': 'polite' });
    const boxes = [];
    const option = (value, text, detail) => {
      const id = `tl-${hz}-${value}`;
      const box = h('input', { type: 'checkbox', id, value: String(value), checked: chosen.has(value) });
      boxes.push(box);
      box.addEventListener('change', () => {
        const picked = boxes.filter((b) => b.checked);
        if (picked.length > MAX) {
          box.checked = false;
          note.textContent = t('tl.max');
          return;
        }
        note.textContent = '';
        state.choices[hz] = picked.map((b) => (b.value === STAY ? STAY : Number(b.value)));
        save();
        drawPlan();
      });
      return h('div', 'tl-option', box, h('label', { for: id }, h('span', { class: 'tl-name', lang: value === STAY ? null : 'ja' }, text), detail ? h('span', 'tl-detail', detail) : null));
    };
    const fieldset = h('fieldset', { class: 'tl-hazard', 'data-hazard': hz }, h('legend', null, t(`hazard.${hz}`)));
    for (const f of list) {
      const detail = `${t('shelter.distance', { d: distance(f.distance_m) })}・${t('shelter.walk', { min: walkMinutes(f.distance_m) })}`;
      fieldset.append(option(f.id, f.properties['名称'], detail));
    }
    if (mayStay()) fieldset.append(option(STAY, t('tl.stay')));
    fieldset.append(note);
    chooseSection.append(fieldset);
  }
}

function renderActions() {
  const print = h('button', { type: 'button', class: 'primary', id: 'tl-print' }, t('tl.print'));
  print.addEventListener('click', printSheet);
  const clear = h('button', { type: 'button', class: 'secondary' }, t('tl.clear'));
  clear.addEventListener('click', () => {
    localStorage.removeItem(KEY);
    state.home = null;
    state.choices = {};
    saved.textContent = '';
    homeMarker?.remove();
    render();
  });
  actions.replaceChildren(print, clear);
}

/** The chosen shelters of each hazard, as features (or STAY). */
function chosenFeatures(hz) {
  return (state.choices[hz] ?? []).map((id) => (id === STAY ? STAY : shelters.find((f) => f.id === id))).filter(Boolean);
}

// The map: tap to set home; the plan drawn as straight lines home → chosen shelters.
let map = null;
function startMap() {
  const centre = state.home?.at ?? [130.0987, 33.1031];
  map = createMap(mapBox, { style: 'public', center: centre, zoom: state.home ? 15 : 12, preserveDrawingBuffer: true });
  map.getCanvas().setAttribute('aria-label', t('tl.mapLabel'));
  map.on('click', (e) => setHome([e.lngLat.lng, e.lngLat.lat], t('tl.homeTapped')));
  onStyleReady(map, () => {
    map.addSource('tl-plan', { type: 'geojson', data: planData() });
    map.addLayer({ id: 'tl-lines', type: 'line', source: 'tl-plan', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#d4351c', 'line-width': 3, 'line-dasharray': [2, 1] } });
    map.addLayer({
      id: 'tl-shelters',
      type: 'circle',
      source: 'tl-plan',
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 9, 'circle-color': '#00704a', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 },
    });
    placeHome();
    document.body.dataset.ready = 'true';
  });
}

function planData() {
  const features = [];
  if (state.home) {
    for (const hz of HAZARDS) {
      for (const f of chosenFeatures(hz)) {
        if (f === STAY) continue;
        features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [state.home.at, f.geometry.coordinates] } });
        features.push({ type: 'Feature', properties: {}, geometry: f.geometry });
      }
    }
  }
  return { type: 'FeatureCollection', features };
}

function drawPlan() {
  map?.getSource('tl-plan')?.setData(planData());
}

function placeHome() {
  if (!map || !state.home) return;
  if (!homeMarker) {
    const dot = h('div', 'place-marker');
    homeMarker = new maplibregl.Marker({ element: dot });
  }
  homeMarker.setLngLat(state.home.at).addTo(map);
  homeMarker.getElement().setAttribute('aria-hidden', 'true');
  drawPlan();
}

/** Fit the map to home and the chosen shelters, capture it, build the sheet, print. */
async function printSheet() {
  if (!state.home) return;
  saved.textContent = t('tl.printing');
  const pts = [state.home.at];
  for (const hz of HAZARDS) for (const f of chosenFeatures(hz)) if (f !== STAY) pts.push(f.geometry.coordinates);
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  const bounds = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  map.fitBounds(bounds, { padding: 50, maxZoom: 16, duration: 0 });
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 8000);
    map.once('idle', () => {
      clearTimeout(timer);
      resolve();
    });
    map.triggerRepaint();
  });
  const img = withHome(map);
  buildSheet(img);
  saved.textContent = '';
  window.print();
}

/** The map image with home drawn on it (the marker is not in the canvas). */
function withHome(m) {
  const canvas = m.getCanvas();
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  ctx.drawImage(canvas, 0, 0);
  const ratio = canvas.width / (canvas.clientWidth || canvas.width);
  ctx.scale(ratio, ratio);
  const p = m.project(state.home.at);
  ctx.beginPath();
  ctx.arc(p.x, p.y, 10, 0, 2 * Math.PI);
  ctx.fillStyle = '#d4351c';
  ctx.fill();
  ctx.lineWidth = 4;
  ctx.strokeStyle = '#fff';
  ctx.stroke();
  return { src: out.toDataURL('image/png'), ratio: canvas.clientHeight / canvas.clientWidth };
}

/**
 * The walking route as a QR code with its caption: on paper a URL cannot be clicked and is too
 * long to type, a phone's camera reads the code.
 * @param {string} url
 */
function routeCode(url) {
  const qr = qrcode(0, 'M');
  qr.addData(url);
  qr.make();
  return h(
    'span',
    'tl-route',
    h('img', { class: 'tl-qr', src: qr.createDataURL(4), alt: t('tl.routeCode') }),
    h('span', 'tl-qr-caption', t('tl.routeCode')),
  );
}

function buildSheet({ src, ratio }) {
  const date = new Date().toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'ja-JP', { year: 'numeric', month: 'long', day: 'numeric' });
  const rows = HAZARDS.map((hz) => {
    const picked = chosenFeatures(hz);
    const cells = picked.length
      ? picked.map((f) => {
          if (f === STAY) return h('li', null, t('tl.stay'));
          const d = nearestShelters([f], state.home.at, null, 1)[0].distance_m;
          return h(
            'li',
            null,
            h('strong', { lang: 'ja' }, f.properties['名称']),
            `（${t('shelter.distance', { d: distance(d) })}・${t('shelter.walk', { min: walkMinutes(d) })}）`,
            h('br'),
            h('span', { class: 'tl-address', lang: 'ja' }, f.properties['住所'] ?? ''),
            // No origin: the phone that scans it starts from where it is (a shorter code, too).
            routeCode(walkingRouteUrl(f.geometry.coordinates)),
          );
        })
      : [h('li', null, t('tl.none'))];
    return h('tr', null, h('th', { scope: 'row' }, t(`hazard.${hz}`)), h('td', null, h('ul', null, cells)));
  });
  const imgW = 190;
  const imgH = Math.min(110, Math.round(imgW * ratio));
  const img = h('img', { src, alt: t('tl.sheetMap') });
  img.style.width = `${imgW}mm`;
  img.style.height = `${imgH}mm`;
  img.style.objectFit = 'cover';
  sheet.replaceChildren(
    h('h1', null, t('tl.sheet')),
    h('p', null, t('tl.homeAt', { label: state.home.label ?? t('tl.homeHere') })),
    ...(facts ? hazardParagraphs(facts) : []),
    img,
    h('p', 'tl-legend', `${t('tl.legendHome')}　${t('tl.legendShelter')}　${t('tl.routes')}`),
    h('table', 'tl-table', h('tbody', null, rows)),
    h('p', 'tl-made', t('tl.made', { date })),
  );
}

function render() {
  renderHome();
  renderHazards().then(renderChoices);
  renderActions();
}

onLangChange(() => {
  render();
  map?.getCanvas().setAttribute('aria-label', t('tl.mapLabel'));
});

render();
startMap();
getJsonWithAge(SHELTERS).then(
  ({ body, savedAt }) => {
    shelters = body.features;
    copy.hidden = !savedAt;
    if (savedAt) copy.textContent = copyNotice(savedAt);
    renderChoices();
    drawPlan();
  },
  (e) => chooseSection.append(errorBox(e.message)),
);
