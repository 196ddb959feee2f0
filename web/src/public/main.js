// Public map entry point (being built: the shared lib modules are wired in step by step).
import { watchNetwork } from '../lib/banner.js';
import { initLang } from '../lib/i18n.js';
import { mountLayerList } from '../lib/layers.js';
import { createMap } from '../lib/map.js';
import { showFeaturePopup } from '../lib/popup.js';
import { watchPrint } from '../lib/print.js';

initLang();
watchNetwork();
const map = createMap(document.getElementById('app'), { style: 'public' });
map.on('load', () => {
  const panel = document.createElement('div');
  const layers = mountLayerList(panel, map);
  watchPrint(map, () => ({ legend: [], attributions: [] }));
  map.on('click', (e) => {
    const [f] = map.queryRenderedFeatures(e.point).filter((x) => layers.ids().includes(x.source));
    if (f) showFeaturePopup(map, e.lngLat, f.source, f);
  });
});
