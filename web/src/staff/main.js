// Staff view entry point (skeleton: the staff helper replaces this).
import { createMap } from '../lib/map.js';

createMap(document.getElementById('app'), { style: 'staff' });
