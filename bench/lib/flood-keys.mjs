// Public keys chosen to collide in a key index with an unkeyed hash: unseeded
// 32-bit FNV-1a, slot = hash & (capacity - 1), linear probing. Every key made here has the
// same low 22 bits of FNV-1a, so all of them fall on one slot of any table of up to 2^22
// slots (snapshots of up to 2M entries) and the old index took time quadratic in their
// number. What an attacker who knows the hash can send as adverts.
//
// How: the low k bits of FNV-1a depend only on the low k bits of the state, and a step
// (state ^ byte) * prime is invertible, so a meet in the middle is cheap. Backwards from
// the target state, every 4-character hex suffix gives the state that leads to the target
// (a table of 2^22 states); forwards from a 58-character prefix, every 2-character middle
// gives a state, and each one found in the table completes a key: about 4 keys a prefix.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const BITS = 22;
const MASK = (1 << BITS) - 1;
const HEX = '0123456789abcdef';
const HEX_CODES = [...HEX].map((c) => c.charCodeAt(0));

/** The unseeded FNV-1a the old index used. */
export function oldHash(key) {
  let h = FNV_OFFSET;
  for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), FNV_PRIME);
  return h >>> 0;
}

function inverse(odd) {
  let x = odd;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(odd, x));
  return x;
}
const PRIME_INVERSE = inverse(FNV_PRIME);

/**
 * `count` distinct 64-character lowercase hex keys whose old hashes agree in the low 22
 * bits. `tag` (hex, up to 16 characters) starts every key, so two sets never share a key.
 */
export function collidingKeys(count, tag = '') {
  const target = 0x2a5a5a & MASK;
  // Backwards: state before the last 4 characters → those characters (1 + 16-bit number)
  const before = new Int32Array(1 << BITS);
  for (let s = 0; s < 65536; s++) {
    let h = target;
    for (let c = 3; c >= 0; c--) h = Math.imul(h, PRIME_INVERSE) ^ HEX_CODES[(s >> (4 * c)) & 15];
    before[h & MASK] = s + 1;
  }
  const keys = [];
  // Keys share a long run of the same digit, as an attacker's would: comparisons go deep
  const common = tag + 'f'.repeat(58 - 12 - tag.length);
  let start = FNV_OFFSET;
  for (let k = 0; k < common.length; k++) start = Math.imul(start ^ common.charCodeAt(k), FNV_PRIME);
  for (let n = 0; keys.length < count; n++) {
    const counter = n.toString(16).padStart(12, '0');
    const prefix = common + counter;
    let h = start;
    for (let k = 0; k < counter.length; k++) h = Math.imul(h ^ counter.charCodeAt(k), FNV_PRIME);
    for (let m = 0; m < 256 && keys.length < count; m++) {
      const s = before[Math.imul(Math.imul(h ^ HEX_CODES[m >> 4], FNV_PRIME) ^ HEX_CODES[m & 15], FNV_PRIME) & MASK];
      if (s === 0) continue;
      let suffix = '';
      for (let c = 0; c < 4; c++) suffix += HEX[((s - 1) >> (4 * c)) & 15];
      keys.push(prefix + HEX[m >> 4] + HEX[m & 15] + suffix);
    }
  }
  return keys;
}

/** `count` random 64-character hex keys, for comparison. */
export function randomKeys(count, tag = '') {
  const keys = [];
  for (let i = 0; i < count; i++) {
    let key = tag;
    while (key.length < 64) key += Math.floor(Math.random() * 16).toString(16);
    keys.push(key);
  }
  return keys;
}
