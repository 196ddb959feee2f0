// Point markers told apart by shape as well as colour (WCAG 1.4.1). A style's `circle` layer
// whose colour is a `match` on an attribute (shelters: 種別) becomes a `symbol` layer whose
// icon has one shape per value: circle, square, diamond, triangle. The icons are drawn here on
// a canvas when the map first asks for them (no sprite, nothing from the network), and the
// legend draws the same shapes from the same geometry.

/** Shapes in the order the values of a `match` get them. */
export const SHAPES = ['circle', 'square', 'diamond', 'triangle'];

const PREFIX = 'km-marker';
/** The icon's body radius and stroke width in CSS pixels at icon-size 1. */
const RADIUS = 9;
const PIXEL_RATIO = 2;

/**
 * The image name of a marker: `km-marker:{shape}:{fill}:{stroke}:{strokeWidth}`. The name says
 * everything needed to draw it, so the map and the legend need no other record.
 */
export function markerName(shape, fill, stroke = '#ffffff', width = 2) {
  return [PREFIX, shape, fill, stroke, width].join(':');
}

/**
 * The marker a name stands for, or null for other images.
 * @param {unknown} name
 * @returns {{shape: string, fill: string, stroke: string, width: number} | null}
 */
export function parseMarker(name) {
  if (typeof name !== 'string') return null;
  const [prefix, shape, fill, stroke, width] = name.split(':');
  if (prefix !== PREFIX || !SHAPES.includes(shape) || !fill) return null;
  return { shape, fill, stroke: stroke || '#ffffff', width: Number(width) || 2 };
}

/**
 * The outline of `shape` centred on (cx, cy), as big as a circle of radius `r` (about the
 * same area, so no kind looks more important): null for the circle, else polygon points.
 * @returns {[number, number][] | null}
 */
export function shapePoints(shape, cx, cy, r) {
  switch (shape) {
    case 'square': {
      const s = r * 0.89;
      return [[cx - s, cy - s], [cx + s, cy - s], [cx + s, cy + s], [cx - s, cy + s]];
    }
    case 'diamond': {
      const d = r * 1.25;
      return [[cx, cy - d], [cx + d, cy], [cx, cy + d], [cx - d, cy]];
    }
    case 'triangle': {
      const t = r * 1.3;
      const w = t * Math.sin(Math.PI / 3);
      return [[cx, cy - t], [cx + w, cy + t / 2], [cx - w, cy + t / 2]];
    }
    default:
      return null;
  }
}

/**
 * The pixels of a marker (drawn at PIXEL_RATIO), for `map.addImage`.
 * @param {{shape: string, fill: string, stroke: string, width: number}} m
 * @returns {ImageData}
 */
export function drawMarker(m) {
  const half = Math.ceil(RADIUS * 1.3 + m.width + 1);
  const size = 2 * half * PIXEL_RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.scale(PIXEL_RATIO, PIXEL_RATIO);
  ctx.beginPath();
  const points = shapePoints(m.shape, half, half, RADIUS);
  if (points) {
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
  } else {
    ctx.arc(half, half, RADIUS, 0, 2 * Math.PI);
  }
  ctx.fillStyle = m.fill;
  ctx.fill();
  ctx.lineWidth = m.width;
  ctx.lineJoin = 'round';
  ctx.strokeStyle = m.stroke;
  ctx.stroke();
  return ctx.getImageData(0, 0, size, size);
}

/**
 * Draw marker images when the style first asks for one (MapLibre waits for the resolver, so a
 * tile never goes without its icons; the `styleimagemissing` event would come too late).
 */
export function watchMarkerImages(map) {
  map.setMissingStyleImageResolver((id) => {
    const m = parseMarker(id);
    if (m && !map.hasImage(id)) map.addImage(id, drawMarker(m), { pixelRatio: PIXEL_RATIO });
  });
}

/** `circle-radius` as `icon-size`: the same outer size (body and stroke) at every zoom. */
function iconSize(radius, width) {
  const scale = (r) => (typeof r === 'number' ? (r + width) / (RADIUS + width) : r);
  if (typeof radius === 'number') return scale(radius);
  if (Array.isArray(radius) && radius[0] === 'interpolate' && Array.isArray(radius[2]) && radius[2][0] === 'zoom') {
    return radius.map((v, i) => (i > 2 && i % 2 === 0 ? scale(v) : v));
  }
  return (7 + width) / (RADIUS + width);
}

/**
 * A `circle` layer coloured by `['match', input, value, colour, …, fallback]` as a `symbol`
 * layer with one marker shape per value. A fallback colour that repeats a listed one keeps
 * that value's marker (the style means "no other kind"); any other fallback gets a shape of
 * its own. Values drawn later sit on top: where two kinds share a place (a school that is
 * both 指定緊急避難場所 and 指定避難所), the first (smallest) shape shows on the other.
 * @param {object} layer  a style layer
 * @returns {object}      the layer to use instead (the same one when it is not such a layer)
 */
export function shapedLayer(layer) {
  const paint = layer.paint ?? {};
  const color = paint['circle-color'];
  if (layer.type !== 'circle' || !Array.isArray(color) || color[0] !== 'match' || typeof color[color.length - 1] !== 'string') return layer;
  const stroke = typeof paint['circle-stroke-color'] === 'string' ? paint['circle-stroke-color'] : '#ffffff';
  const width = typeof paint['circle-stroke-width'] === 'number' ? paint['circle-stroke-width'] : 0;
  const arms = [];
  for (let i = 2; i < color.length - 1; i += 2) arms.push([color[i], color[i + 1]]);
  if (arms.length >= SHAPES.length || arms.some(([, c]) => typeof c !== 'string')) return layer;
  const names = arms.map(([, c], i) => markerName(SHAPES[i], c, stroke, width));
  const fallbackColor = color[color.length - 1];
  const same = arms.findIndex(([, c]) => c === fallbackColor);
  const fallback = same >= 0 ? names[same] : markerName(SHAPES[arms.length], fallbackColor, stroke, width);
  const input = color[1];
  const { paint: _paint, type: _type, ...rest } = layer;
  return {
    ...rest,
    id: layer.id.replace(/-circle$/, '') + '-marker',
    type: 'symbol',
    layout: {
      ...(layer.layout ?? {}),
      'icon-image': ['match', input, ...arms.flatMap(([v], i) => [v, names[i]]), fallback],
      'icon-size': iconSize(paint['circle-radius'] ?? 5, width),
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
      'icon-padding': 0,
      'symbol-sort-key': ['match', input, ...arms.flatMap(([v], i) => [v, -i]), same >= 0 ? -same : -arms.length],
    },
    paint: { 'icon-opacity': paint['circle-opacity'] ?? 1 },
    metadata: { ...(layer.metadata ?? {}), 'kashimap:shapedFrom': layer.id },
  };
}

/**
 * The style with its colour-coded circle layers drawn as shaped markers (a MapLibre
 * `transformStyle`).
 * @param {import('maplibre-gl').StyleSpecification} style
 */
export function withMarkerShapes(style) {
  return { ...style, layers: style.layers.map(shapedLayer) };
}
