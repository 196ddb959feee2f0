// After `vite build`: a Brotli (.br) and a gzip (.gz) copy beside every text file of dist/
// (JavaScript, CSS, HTML, JSON, SVG, source maps), at the highest levels (done once per
// build, so time does not matter). The server sends the copy the request accepts
// (server/src/http/web.rs). A copy that would not be smaller is not written.
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIST = resolve(import.meta.dirname, '..', 'dist');
const TEXT = /\.(m?js|css|html|json|svg|map|txt|webmanifest)$/;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

let before = 0;
let after = 0;
for (const path of walk(DIST)) {
  if (!TEXT.test(path)) continue;
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  for (const [ext, data] of [['.br', br], ['.gz', gz]]) {
    if (data.length < raw.length) writeFileSync(path + ext, data);
    else rmSync(path + ext, { force: true });
  }
  if (!path.endsWith('.map')) {
    before += raw.length;
    after += Math.min(br.length, raw.length);
  }
}
console.log(`compressed dist/: ${(before / 1024).toFixed(0)} KiB of text → ${(after / 1024).toFixed(0)} KiB with Brotli`);
