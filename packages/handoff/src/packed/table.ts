// Entries packed as (key, code): where each key lies in the bytes of the file read (no
// copy, no string), and a small code per entry (what the entry says, as a number the
// handoff defines). A million entries take 9 MB here beside the file's bytes, against
// about 130 MB as objects with their key strings, and build several times faster. The
// table keeps the file's bytes alive as long as it lives.
//
// Keys are hashed with HalfSipHash-1-3 under a 64-bit key the caller draws at random (the
// keyed hash the Linux kernel uses for tables fed from the network): keys may come from
// outside, and whoever sends them must not be able to choose keys that collide.

export class EntryTable {
  /** The bytes the matched keys lie in (the file read): borrowed, never copied. */
  readonly #source: Uint8Array;
  /** Keys pushed as strings (entries that were not in canonical form). */
  #own = Buffer.allocUnsafe(256);
  #ownUsed = 0;
  /** Entry i's key is #source[start, end); or #own[~start, ~end) when start is negative. */
  #starts = new Int32Array(1024);
  #ends = new Int32Array(1024);
  #codes = new Uint8Array(1024);
  #length = 0;
  /** Set by #locate */
  #bytes: Uint8Array = this.#own;
  #from = 0;
  #to = 0;

  constructor(source: Uint8Array = new Uint8Array(0)) {
    this.#source = source;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends the key held in source[start, end) (ASCII, checked by the caller). */
  pushSpan(start: number, end: number, code: number): void {
    this.#append(start, end, code);
  }

  /** Appends a key given as a string; it must be ASCII. */
  push(key: string, code: number): void {
    const n = key.length;
    if (this.#ownUsed + n > this.#own.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#own.length * 2, this.#ownUsed + n));
      this.#own.copy(grown, 0, 0, this.#ownUsed);
      this.#own = grown;
    }
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c > 0x7f) throw new RangeError(`Expected an ASCII key, got ${JSON.stringify(key)}`);
      this.#own[this.#ownUsed + i] = c;
    }
    this.#append(~this.#ownUsed, ~(this.#ownUsed + n), code);
    this.#ownUsed += n;
  }

  keyAt(i: number): string {
    const start = this.#starts[i]!;
    if (start < 0) return this.#own.toString('latin1', ~start, ~this.#ends[i]!);
    return Buffer.from(this.#source.buffer, this.#source.byteOffset + start, this.#ends[i]! - start).toString('latin1');
  }

  codeAt(i: number): number {
    return this.#codes[i]!;
  }

  /** Whether entry i's key is exactly `key`. */
  keyEquals(i: number, key: string): boolean {
    this.#locate(i);
    const bytes = this.#bytes;
    const start = this.#from;
    const n = this.#to - start;
    if (key.length !== n) return false;
    for (let k = 0; k < n; k++) if (bytes[start + k] !== key.charCodeAt(k)) return false;
    return true;
  }

  /** Whether entries a and b have the same key. */
  sameKey(a: number, b: number): boolean {
    this.#locate(a);
    const ba = this.#bytes;
    const sa = this.#from;
    const n = this.#to - sa;
    this.#locate(b);
    const bb = this.#bytes;
    const sb = this.#from;
    if (this.#to - sb !== n) return false;
    for (let k = 0; k < n; k++) if (ba[sa + k] !== bb[sb + k]) return false;
    return true;
  }

  /** HalfSipHash-1-3 of entry i's key under (k0, k1); equal to hashKey() of the same key as a string. */
  hashAt(i: number, k0 = 0, k1 = 0): number {
    this.#locate(i);
    const bytes = this.#bytes;
    const from = this.#from;
    const n = this.#to - from;
    let v0 = k0 | 0;
    let v1 = k1 | 0;
    let v2 = 0x6c796765 ^ k0;
    let v3 = 0x74656462 ^ k1;
    let k = from;
    for (const whole = from + (n & ~3); k < whole; k += 4) {
      const m = bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24);
      v3 ^= m;
      // One SipRound (c = 1), written out: this runs for every key of every apply
      v0 = (v0 + v1) | 0;
      v1 = (v1 << 5) | (v1 >>> 27);
      v1 ^= v0;
      v0 = (v0 << 16) | (v0 >>> 16);
      v2 = (v2 + v3) | 0;
      v3 = (v3 << 8) | (v3 >>> 24);
      v3 ^= v2;
      v0 = (v0 + v3) | 0;
      v3 = (v3 << 7) | (v3 >>> 25);
      v3 ^= v0;
      v2 = (v2 + v1) | 0;
      v1 = (v1 << 13) | (v1 >>> 19);
      v1 ^= v2;
      v2 = (v2 << 16) | (v2 >>> 16);
      v0 ^= m;
    }
    let last = n << 24;
    for (let s = 0; k < this.#to; k++, s += 8) last |= bytes[k]! << s;
    return finish(v0, v1, v2, v3, last);
  }

  /** Compares the keys of entries a and b, byte by byte (the order of a sorted index). */
  compareKeys(a: number, b: number): number {
    this.#locate(a);
    const ba = this.#bytes;
    const sa = this.#from;
    const na = this.#to - sa;
    this.#locate(b);
    const bb = this.#bytes;
    const sb = this.#from;
    const nb = this.#to - sb;
    for (let k = 0, n = Math.min(na, nb); k < n; k++) {
      const d = ba[sa + k]! - bb[sb + k]!;
      if (d !== 0) return d;
    }
    return na - nb;
  }

  /** Compares entry i's key with `key`, code unit by code unit (the order of compareKeys). */
  compareKey(i: number, key: string): number {
    this.#locate(i);
    const bytes = this.#bytes;
    const from = this.#from;
    const n = this.#to - from;
    for (let k = 0, m = Math.min(n, key.length); k < m; k++) {
      const d = bytes[from + k]! - key.charCodeAt(k);
      if (d !== 0) return d;
    }
    return n - key.length;
  }

  /** Where entry i's key lies: #bytes[#from, #to) (fields, not a returned object: this runs per row). */
  #locate(i: number): void {
    const start = this.#starts[i]!;
    if (start >= 0) {
      this.#bytes = this.#source;
      this.#from = start;
      this.#to = this.#ends[i]!;
    } else {
      this.#bytes = this.#own;
      this.#from = ~start;
      this.#to = ~this.#ends[i]!;
    }
  }

  #append(start: number, end: number, code: number): void {
    if (this.#length === this.#codes.length) {
      const size = this.#length * 2;
      const starts = new Int32Array(size);
      starts.set(this.#starts);
      this.#starts = starts;
      const ends = new Int32Array(size);
      ends.set(this.#ends);
      this.#ends = ends;
      const codes = new Uint8Array(size);
      codes.set(this.#codes);
      this.#codes = codes;
    }
    this.#starts[this.#length] = start;
    this.#ends[this.#length] = end;
    this.#codes[this.#length++] = code;
  }
}

/** HalfSipHash-1-3 of `key` (its UTF-16 code units, which are its bytes when it is ASCII) under (k0, k1). */
export function hashKey(key: string, k0 = 0, k1 = 0): number {
  const n = key.length;
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  let k = 0;
  for (const whole = n & ~3; k < whole; k += 4) {
    const m = key.charCodeAt(k) | (key.charCodeAt(k + 1) << 8) | (key.charCodeAt(k + 2) << 16) | (key.charCodeAt(k + 3) << 24);
    v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
  }
  let last = n << 24;
  for (let s = 0; k < n; k++, s += 8) last |= key.charCodeAt(k) << s;
  return finish(v0, v1, v2, v3, last);
}

/** The last block, then the finalisation: three SipRounds (d = 3). */
function finish(v0: number, v1: number, v2: number, v3: number, last: number): number {
  v3 ^= last;
  for (let r = 0; r < 4; r++) {
    if (r === 1) {
      v0 ^= last;
      v2 ^= 0xff;
    }
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
  }
  return (v1 ^ v3) >>> 0;
}
