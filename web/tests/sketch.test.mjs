// The geometry of 「区画を描く」 (web/src/staff/sketch.js), without a browser: the ring sent
// to the server, the crossing check before 「完了」, and the point the 地番 is looked up at.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contains, crossesItself, interiorPoint, ringOf } from '../src/staff/sketch.js';

/** Twice the signed area (positive when counter-clockwise). */
const area2 = (ring) => ring.slice(1).reduce((a, [x, y], i) => a + (ring[i][0] * y - x * ring[i][1]), 0);

test('the ring is closed and counter-clockwise whichever way the corners were tapped', () => {
  const square = [
    [130.1, 33.07],
    [130.1, 33.071],
    [130.101, 33.071],
    [130.101, 33.07],
  ]; // clockwise
  for (const corners of [square, [...square].reverse()]) {
    const ring = ringOf(corners);
    assert.equal(ring.length, 5);
    assert.deepEqual(ring[0], ring[4]);
    assert.ok(area2(ring) > 0, JSON.stringify(ring));
    for (const c of corners) assert.ok(ring.some((r) => r[0] === c[0] && r[1] === c[1]));
  }
  assert.deepEqual(ringOf([[130.123456789, 33.0000000449], [130.2, 33], [130.2, 33.1]])[0], [130.1234568, 33]);
});

test('sides that cross are found; neighbouring sides and a concave field are fine', () => {
  const bowTie = [
    [0, 0],
    [1, 1],
    [1, 0],
    [0, 1],
  ];
  assert.equal(crossesItself(bowTie), true);
  assert.equal(crossesItself([[0, 0], [1, 0], [1, 1], [0, 1]]), false);
  assert.equal(crossesItself([[0, 0], [1, 0], [0.5, 0.2]]), false);
  const u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3]];
  assert.equal(crossesItself(u), false);
});

test('the point inside is the centroid, or inside the field when the centroid is not', () => {
  const square = { type: 'Polygon', coordinates: [ringOf([[0, 0], [2, 0], [2, 2], [0, 2]])] };
  assert.deepEqual(interiorPoint(square).map((v) => Math.round(v * 1e9) / 1e9), [1, 1]);
  // A U: its centroid is in the gap between the arms.
  const u = { type: 'Polygon', coordinates: [ringOf([[0, 0], [3, 0], [3, 3], [2.8, 3], [2.8, 0.2], [0.2, 0.2], [0.2, 3], [0, 3]])] };
  const p = interiorPoint(u);
  assert.ok(contains(u, p), `${p} inside the U`);
  // A field with a hole at its centre.
  const ring = { type: 'Polygon', coordinates: [ringOf([[0, 0], [4, 0], [4, 4], [0, 4]]), ringOf([[1, 1], [3, 1], [3, 3], [1, 3]])] };
  const q = interiorPoint(ring);
  assert.ok(contains(ring, q), `${q} inside the ring, not in its hole`);
});
