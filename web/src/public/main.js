// Public map entry point (skeleton: the viewer helper replaces this).
import { createMap } from '../lib/map.js';

createMap(document.getElementById('app'), { style: 'public' });
