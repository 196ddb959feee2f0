// Pages from one build: the public map (index.html, served at /), its 防災モード
// (bousai.html, served at /?mode=bousai: no map library, so it is small), the staff view
// (staff.html, /staff), マイ・タイムライン (timeline.html, /timeline) and 使い方 (help.html,
// /help). The server serves dist/, dist/assets/ and dist/static/ (web/public/).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: true,
    // MapLibre alone is ~1 MB minified (290 kB gzip); it is one cacheable file.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        staff: resolve(import.meta.dirname, 'staff.html'),
        bousai: resolve(import.meta.dirname, 'bousai.html'),
        timeline: resolve(import.meta.dirname, 'timeline.html'),
        help: resolve(import.meta.dirname, 'help.html'),
      },
    },
  },
  server: {
    // `npm run dev` against a running `scripts/run` on :8080.
    proxy: Object.fromEntries(
      ['/api', '/tiles', '/styles', '/collections', '/auth', '/conformance', '/readyz'].map((p) => [
        p,
        'http://127.0.0.1:8080',
      ]),
    ),
  },
});
