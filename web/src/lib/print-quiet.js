// A focused print (the 管路図): the layers it is about at full strength with labels along
// their lines, everything else quiet — other data layers faint, the basemap grey and pale.
// MapLibre would need a glyph server for symbol labels (there is none offline), so the labels
// are drawn onto the captured canvas with Canvas 2D in the page's own font, placed along the
// longest visible piece of each line, upright, and skipped where they would overlap.

const FAINT = 0.18;
const LABEL_PX = 11;
const ABOVE = LABEL_PX / 2 + 2;
const OPACITY = {
  fill: ['fill-opacity'],
  line: ['line-opacity'],
  circle: ['circle-opacity', 'circle-stroke-opacity'],
  symbol: ['icon-opacity', 'text-opacity'],
  raster: ['raster-opacity'],
  'fill-extrusion': ['fill-extrusion-opacity'],
};

/**
 * @typedef {object} Focus
 * @property {string[]} layers  data layer ids printed at full strength (the rest faint)
 * @property {{layer: string, text: (properties: Record<string, unknown>) => string}[]} [labels]
 */

/**
 * Make the map quiet around `focus` (other data layers faint, the basemap grey); returns a
 * function that puts every changed paint property back.
 * @param {import('maplibre-gl').Map} map
 * @param {Focus} focus
 * @returns {() => void}
 */
export function quieten(map, focus) {
  const undo = [];
  const set = (id, prop, value) => {
    // no fade: the capture is drawn synchronously, at once
    undo.push([id, `${prop}-transition`, map.getPaintProperty(id, `${prop}-transition`)]);
    map.setPaintProperty(id, `${prop}-transition`, { duration: 0, delay: 0 });
    undo.push([id, prop, map.getPaintProperty(id, prop)]);
    map.setPaintProperty(id, prop, value);
  };
  for (const layer of map.getStyle().layers) {
    if (layer.type === 'raster') {
      set(layer.id, 'raster-saturation', -1);
      set(layer.id, 'raster-brightness-min', 0.35);
      set(layer.id, 'raster-opacity', 0.55);
    } else if (layer.source && !focus.layers.includes(layer.source) && OPACITY[layer.type]) {
      for (const prop of OPACITY[layer.type]) {
        const was = map.getPaintProperty(layer.id, prop);
        set(layer.id, prop, typeof was === 'number' ? was * FAINT : FAINT);
      }
    }
  }
  return () => {
    for (const [id, prop, value] of undo.reverse()) map.setPaintProperty(id, prop, value);
  };
}

/**
 * Draw the labels of `focus` onto `ctx` (already scaled to CSS pixels of the map).
 * @param {import('maplibre-gl').Map} map
 * @param {CanvasRenderingContext2D} ctx
 * @param {Focus} focus
 * @returns {number} how many labels were drawn
 */
export function drawLabels(map, ctx, focus) {
  const { clientWidth: w, clientHeight: h } = map.getCanvas();
  const font = getComputedStyle(document.body).fontFamily || 'sans-serif';
  ctx.font = `bold ${LABEL_PX}px ${font}`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineJoin = 'round';
  const placed = [];
  let count = 0;
  for (const { layer, text } of focus.labels ?? []) {
    const ids = map.getStyle().layers.filter((l) => l.source === layer && l.type === 'line').map((l) => l.id);
    if (!ids.length) continue;
    for (const [label, seg] of candidates(map, ids, text, w, h)) {
      const width = ctx.measureText(label).width + 6;
      if (seg.length < width * 0.6) continue;
      // above the line, so the line stays visible under its label
      const at = { ...seg, x: seg.x + ABOVE * Math.sin(seg.angle), y: seg.y - ABOVE * Math.cos(seg.angle) };
      const box = boxOf(at, width, LABEL_PX + 4);
      if (!inside(box, w, h) || placed.some((b) => overlaps(b, box))) continue;
      placed.push(box);
      drawOne(ctx, label, at);
      count += 1;
    }
  }
  return count;
}

/** One label per distinct text: the longest visible straight piece of its lines, longest first. */
function candidates(map, ids, text, w, h) {
  const best = new Map();
  for (const f of map.queryRenderedFeatures({ layers: ids })) {
    const label = text(f.properties ?? {});
    if (!label) continue;
    const lines = f.geometry.type === 'MultiLineString' ? f.geometry.coordinates : f.geometry.type === 'LineString' ? [f.geometry.coordinates] : [];
    for (const line of lines) {
      const pts = line.map((c) => map.project(c));
      for (let i = 1; i < pts.length; i += 1) {
        const seg = visiblePiece(pts[i - 1], pts[i], w, h);
        if (seg && seg.length > (best.get(label)?.length ?? 0)) best.set(label, seg);
      }
    }
  }
  return [...best.entries()].sort((a, b) => b[1].length - a[1].length);
}

/** The segment a→b cut to the canvas: its middle, angle (kept upright) and length in pixels. */
function visiblePiece(a, b, w, h) {
  let [t0, t1] = [0, 1];
  const d = { x: b.x - a.x, y: b.y - a.y };
  // Liang–Barsky clipping against the canvas
  for (const [p, q] of [[-d.x, a.x], [d.x, w - a.x], [-d.y, a.y], [d.y, h - a.y]]) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
    }
  }
  if (t0 >= t1) return null;
  const length = Math.hypot(d.x, d.y) * (t1 - t0);
  const tm = (t0 + t1) / 2;
  let angle = Math.atan2(d.y, d.x);
  if (angle > Math.PI / 2) angle -= Math.PI;
  if (angle < -Math.PI / 2) angle += Math.PI;
  return { x: a.x + d.x * tm, y: a.y + d.y * tm, angle, length };
}

/** The axis-aligned box around the rotated label. */
function boxOf(seg, width, height) {
  const c = Math.abs(Math.cos(seg.angle));
  const s = Math.abs(Math.sin(seg.angle));
  const bw = (width * c + height * s) / 2;
  const bh = (width * s + height * c) / 2;
  return { x0: seg.x - bw, y0: seg.y - bh, x1: seg.x + bw, y1: seg.y + bh };
}

function inside(b, w, h) {
  return b.x0 >= 2 && b.y0 >= 2 && b.x1 <= w - 2 && b.y1 <= h - 2;
}

function overlaps(a, b) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

function drawOne(ctx, label, seg) {
  ctx.save();
  ctx.translate(seg.x, seg.y);
  ctx.rotate(seg.angle);
  ctx.lineWidth = 3;
  ctx.strokeStyle = '#ffffff';
  ctx.strokeText(label, 0, 0);
  ctx.fillStyle = '#0b2f6b';
  ctx.fillText(label, 0, 0);
  ctx.restore();
}
