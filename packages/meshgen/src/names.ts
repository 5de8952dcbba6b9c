// Plausible names and places for one region (the south and east San Francisco Bay, where
// the real sample packets come from). Some carry non-ASCII text, as real adverts do.

import type { Rng } from './random.js';
import type { NodeRole } from './types.js';

/** The region: a box of about 70 × 80 km. */
export const REGION = { latMin: 37.2, latMax: 37.85, lonMin: -122.3, lonMax: -121.5 } as const;

const PLACES = [
  'Fremont',
  'Milpitas',
  'Mission Peak',
  'Sunol',
  'Pleasanton',
  'Livermore',
  'Hayward',
  'Union City',
  'Newark',
  'Alviso',
  'Berryessa',
  'Alum Rock',
  'Evergreen',
  'Almaden',
  'Los Gatos',
  'Saratoga',
  'Cupertino',
  'Sunnyvale',
  'Mtn View',
  'Palo Alto',
  'Coyote',
  'Morgan Hill',
  'Calaveras',
  'Niles',
  'Castro Vly',
  'San Ramon',
  'Dublin',
  'Kings Island',
  'Mt Hamilton',
  'Loma Prieta',
  'Santa Teresa',
  'Ed Levin',
];

const PEOPLE = [
  'Alice',
  'Bob',
  'Carmen',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kai',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tariq',
  'Uma',
  'Victor',
  'Wen',
  'Yusuf',
  'Zoë',
  'Ana',
  'Björn',
  'Chloé',
  'Dmitri',
  'Eun-ji',
];

const GADGETS = ['', '', '', ' T-Deck', ' 📱', ' Heltec', ' mobile', ' HT', ' 🚲', ' base'];
const REPEATER = ['%s Repeater', '%s RPT', 'RPT %s', '%s Ridge', '%s 🌳', '%s Hill'];
const ROOM = ['%s Room', '%s BBS', '%s Chat'];
const SENSOR = ['%s WX', '%s Weather', '%s Sensor', 'Air %s'];
const utf8 = new TextEncoder();
const MAX_NAME_BYTES = 32;

/** A name for a node of this role, different from every name in `taken` (which it joins). */
export function nodeName(rng: Rng, role: NodeRole, taken: Set<string>): string {
  const base = (() => {
    const place = rng.pick(PLACES);
    switch (role) {
      case 'companion':
        return `${rng.pick(PEOPLE)}${rng.pick(GADGETS)}`;
      case 'repeater':
        return rng.pick(REPEATER).replace('%s', place);
      case 'room':
        return rng.pick(ROOM).replace('%s', place);
      case 'sensor':
        return rng.pick(SENSOR).replace('%s', place);
    }
  })();
  let name = base;
  // Cut by code points, never inside an emoji's surrogate pair
  for (let n = 2; taken.has(name) || utf8.encode(name).length > MAX_NAME_BYTES; n++) name = `${Array.from(base).slice(0, 20).join('')} ${n}`;
  taken.add(name);
  return name;
}

/** A point in the region, rounded to what an advert stores (millionths of a degree). */
export function location(rng: Rng): { lat: number; lon: number } {
  const lat = REGION.latMin + rng.next() * (REGION.latMax - REGION.latMin);
  const lon = REGION.lonMin + rng.next() * (REGION.lonMax - REGION.lonMin);
  return { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
}
