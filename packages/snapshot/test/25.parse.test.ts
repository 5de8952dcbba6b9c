// Differential fuzz of parseDocument (the byte-level fast path of readHandoff) against
// what the whole-document path gives: JSON.parse, then each entry validated on its own.
//
// Documents are generated from canonical snapshots with a seeded PRNG (deterministic),
// then varied in ways that keep them valid (pretty-printing, whitespace, escapes, key
// order, extra keys and fields, invalid entries) or break them (truncation, byte flips,
// trailing commas, duplicate keys, garbage). For each one:
//  - if JSON.parse rejects the text, parseDocument must return null;
//  - if parseDocument returns non-null, its envelope, entries (in order), invalid count
//    and invalid samples must equal the whole path's;
//  - a valid document with one `entries` array, built without random text damage, must
//    take the fast path (non-null).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRng, type Rng } from '@mbcap/meshgen';
import { isUtf8 } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { HandoffSpec } from '@mbcap/handoff';
import { hashKey, parseDocument, type ParsedDocument } from '@mbcap/handoff/packed';
import { mbcapCodec, mbcapHandoff, readSnapshot, type MbcapEntry } from '../src/index.js';
import { scratch } from './helpers.js';

const spec = mbcapHandoff.spec;
/** The same handoff without its codec: parseDocument then gives the entries as objects. */
const plainSpec: HandoffSpec<MbcapEntry> = { ...spec, codec: undefined };
const MAX_SAMPLES = 5;

// ---------------------------------------------------------------------------------------
// Seeded randomness

// createRng (mulberry32) of @mbcap/meshgen: a printed seed replays the run.

// ---------------------------------------------------------------------------------------
// The reference: the whole-document path

type Sample = { index: number; reason: string };
type Reference =
  | { ok: false; error: string }
  | {
      ok: true;
      /** The parsed document (whatever JSON value it is). */
      doc: unknown;
      /** Only when the document is an object whose `entries` is an array: */
      envelope: Record<string, unknown> | null;
      /** The valid entries as readers see them (normalized). */
      entries: MbcapEntry[] | null;
      /** The valid entries exactly as validated: the value itself, or the schema's output. */
      rawEntries: MbcapEntry[] | null;
      invalid: number;
      invalidSamples: Sample[];
    };

/** An entry as readers see it: no `evidence` key when there is none. */
function normalize(entry: MbcapEntry): MbcapEntry {
  return entry.evidence
    ? { public_key: entry.public_key, status: entry.status, evidence: entry.evidence }
    : { public_key: entry.public_key, status: entry.status };
}

function reference(text: string): Reference {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const raw = doc as { entries?: unknown };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray(raw.entries)) {
    return { ok: true, doc, envelope: null, entries: null, rawEntries: null, invalid: 0, invalidSamples: [] };
  }
  const rawEntries: MbcapEntry[] = [];
  const invalidSamples: Sample[] = [];
  let invalid = 0;
  (raw.entries as unknown[]).forEach((value, index) => {
    const parsed = spec.entry.safeParse(value);
    if (spec.isPlainEntry!(value)) {
      // The shortcut must agree with the schema it stands in for: same entry, no other key
      if (!parsed.success || !isDeepStrictEqual(normalize(parsed.data), value)) {
        throw new Error(`isPlainEntry accepted ${JSON.stringify(value)} but the schema gives ${JSON.stringify(parsed)}`);
      }
      rawEntries.push(value);
    } else if (parsed.success) {
      rawEntries.push(parsed.data);
    } else {
      invalid++;
      if (invalidSamples.length < MAX_SAMPLES) {
        const issue = parsed.error.issues[0]!;
        invalidSamples.push({ index, reason: `${issue.path.join('.') || 'entry'}: ${issue.message}` });
      }
    }
  });
  const envelope = JSON.parse(text) as Record<string, unknown>;
  envelope.entries = null;
  return { ok: true, doc, envelope, entries: rawEntries.map(normalize), rawEntries, invalid, invalidSamples };
}

/** The entries a fast-path result holds, as objects. */
function entriesOf(parsed: ParsedDocument<MbcapEntry>): MbcapEntry[] {
  if (parsed.entries) return parsed.entries.map(normalize);
  const table = parsed.table!;
  return Array.from({ length: table.length }, (_, i) => normalize(mbcapCodec.entry(table.keyAt(i), table.codeAt(i))));
}

/** The table's other views of a key (compare, hash) agree with keyAt; null or what is wrong. */
function tableDisagrees(parsed: ParsedDocument<MbcapEntry>): string | null {
  const table = parsed.table!;
  const keys = Array.from({ length: table.length }, (_, i) => table.keyAt(i));
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!table.keyEquals(i, key)) return `table.keyEquals(${i}, ${JSON.stringify(key)}) is false`;
    if (table.keyEquals(i, `${key}0`) || (key.length > 0 && table.keyEquals(i, key.slice(1)))) return `table.keyEquals(${i}) accepts another key`;
    if (table.hashAt(i) !== hashKey(key)) return `table.hashAt(${i}) differs from hashKey(${JSON.stringify(key)})`;
    const j = (i * 7 + 3) % keys.length;
    if (table.sameKey(i, j) !== (key === keys[j]) || table.sameKey(j, i) !== (key === keys[j])) return `table.sameKey(${i}, ${j}) is wrong`;
  }
  return null;
}

type Outcome = { failure: string | null; fast: boolean; ref: Reference };

// The codec on its own: every span it claims must be an entry exactly as JSON.stringify
// writes it, and it must report that entry's key and code.
let codecMatches = 0;
const checkingSpec: HandoffSpec<MbcapEntry> = {
  ...spec,
  codec: {
    ...mbcapCodec,
    match(bytes, view, at, sink) {
      const span = { pushed: 0, start: -1, end: -1, code: -1 };
      const end = mbcapCodec.match(bytes, view, at, {
        pushSpan: (start, end, code) => {
          span.pushed++;
          Object.assign(span, { start, end, code });
        },
      });
      if (end >= 0) {
        codecMatches++;
        const slice = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8', at, end);
        let entry: MbcapEntry | null = null;
        try {
          entry = JSON.parse(slice) as MbcapEntry;
        } catch {
          throw new Error(`the codec matched ${JSON.stringify(slice)}, which is not JSON`);
        }
        const canonical = JSON.stringify(normalize(entry));
        if (!spec.isPlainEntry!(entry) || canonical !== slice) throw new Error(`the codec matched ${JSON.stringify(slice)}, which is not a canonical entry`);
        const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1', span.start, span.end);
        if (span.pushed !== 1 || key !== entry.public_key || span.code !== mbcapCodec.code(entry)) {
          throw new Error(`the codec read ${JSON.stringify(slice)} as key ${JSON.stringify(key)}, code ${span.code} (${span.pushed} spans)`);
        }
        sink.pushSpan(span.start, span.end, span.code);
      } else if (span.pushed) throw new Error('the codec pushed a span for an entry it did not match');
      return end;
    },
  },
};

/** Whether the codec, watched, claims anything but canonical entries; null or what is wrong. */
function codecMisreads(bytes: Buffer, start: number): string | null {
  try {
    parseDocument(bytes, start, checkingSpec);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Compares a non-null result with the reference; null or what differs. */
function differs(parsed: ParsedDocument<MbcapEntry>, ref: Reference, packed: boolean): string | null {
  if (!ref.ok) return `accepted a document JSON.parse rejects (${ref.error})`;
  if (ref.envelope === null) return 'accepted a document that is not an object with an entries array';
  if (packed ? parsed.entries !== null || parsed.table === null : parsed.entries === null || parsed.table !== null) {
    return packed ? 'expected the entries packed in a table' : 'expected the entries as objects';
  }
  if (!isDeepStrictEqual(parsed.envelope, ref.envelope)) {
    return `envelope differs: expected ${JSON.stringify(ref.envelope)}, got ${JSON.stringify(parsed.envelope)}`;
  }
  // Without a codec the entries are the validated values themselves
  const got = packed ? entriesOf(parsed) : parsed.entries!;
  const want = packed ? ref.entries! : ref.rawEntries!;
  if (got.length !== want.length) return `expected ${want.length} valid entries, got ${got.length}`;
  for (let i = 0; i < want.length; i++) {
    if (!isDeepStrictEqual(got[i], want[i])) return `entry ${i}: expected ${JSON.stringify(want[i])}, got ${JSON.stringify(got[i])}`;
  }
  if (parsed.invalid !== ref.invalid) return `expected ${ref.invalid} invalid entries, got ${parsed.invalid}`;
  if (!isDeepStrictEqual(parsed.invalidSamples, ref.invalidSamples)) {
    return `invalid samples differ: expected ${JSON.stringify(ref.invalidSamples)}, got ${JSON.stringify(parsed.invalidSamples)}`;
  }
  return packed ? tableDisagrees(parsed) : null;
}

/**
 * Runs parseDocument on bytes[start..] and compares it with the reference, which parses
 * the same bytes decoded (as readHandoff does: the bytes are valid UTF-8, a text with a
 * lone surrogate is written as U+FFFD).
 */
function compare(bytes: Buffer, start = 0, withoutCodec = false): Outcome {
  const text = bytes.toString('utf8', start);
  const ref = reference(text);
  let parsed: ParsedDocument<MbcapEntry> | null;
  try {
    parsed = parseDocument(bytes, start, spec);
  } catch (error) {
    return { failure: `parseDocument threw: ${(error as Error).stack}`, fast: false, ref };
  }
  let failure = parsed && differs(parsed, ref, true);
  // The handoff without a codec takes the same path, or the same fallback
  if (!failure && withoutCodec) {
    let unpacked: ParsedDocument<MbcapEntry> | null;
    try {
      unpacked = parseDocument(bytes, start, plainSpec);
    } catch (error) {
      return { failure: `parseDocument (no codec) threw: ${(error as Error).stack}`, fast: parsed !== null, ref };
    }
    if ((unpacked === null) !== (parsed === null))
      failure = `without a codec, parseDocument returned ${unpacked === null ? 'null' : 'a result'}, with one ${parsed === null ? 'null' : 'a result'}`;
    else if (unpacked) {
      const difference = differs(unpacked, ref, false);
      if (difference) failure = `without a codec: ${difference}`;
    }
  }
  if (!failure) failure = codecMisreads(bytes, start);
  return { failure: failure || null, fast: parsed !== null, ref };
}

/** Deletes what it can from a failing text while it keeps failing the same way (within a budget of tries). */
function shrink(text: string, budget = 3000): string {
  const kind = (t: string) => compare(Buffer.from(t), 0, true).failure?.split(/[:(]/)[0] ?? null;
  const want = kind(text);
  let current = text;
  for (let size = Math.max(1, current.length >> 1); size >= 1 && budget > 0; size = size === 1 ? 0 : size >> 1) {
    for (let i = 0; i + size <= current.length && budget-- > 0; ) {
      const candidate = current.slice(0, i) + current.slice(i + size);
      if (kind(candidate) === want) current = candidate;
      else i += size;
    }
  }
  return current;
}

// ---------------------------------------------------------------------------------------
// Generating documents: a small value model that allows duplicate keys and raw text

class Obj {
  constructor(readonly pairs: [string, Value][]) {}
}
class Raw {
  constructor(readonly text: string) {}
}
type Value = null | boolean | number | string | Value[] | Obj | Raw;

type Style = {
  /** Whitespace between tokens. */
  ws: () => string;
  /** Probability of writing a character of a string as an escape. */
  escape: number;
};

function encodeString(rng: Rng, s: string, style: Style): string {
  if (style.escape === 0) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    if (!rng.chance(style.escape)) {
      out += JSON.stringify(ch).slice(1, -1);
      continue;
    }
    const short: Record<string, string> = { '/': '\\/', '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\b': '\\b', '\f': '\\f' };
    if (short[ch] && rng.chance(0.5)) out += short[ch];
    else {
      for (let k = 0; k < ch.length; k++) {
        const hex = ch.charCodeAt(k).toString(16).padStart(4, '0');
        out += `\\u${rng.chance(0.5) ? hex : hex.toUpperCase()}`;
      }
    }
  }
  return `${out}"`;
}

function serialize(rng: Rng, value: Value, style: Style, elementStyle?: (i: number) => Style): string {
  if (value instanceof Raw) return value.text;
  if (typeof value === 'string') return encodeString(rng, value, style);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const ws = style.ws;
  if (Array.isArray(value)) {
    if (value.length === 0) return `[${ws()}]`;
    return `[${ws()}${value.map((v, i) => serialize(rng, v, elementStyle?.(i) ?? style)).join(`${ws()},${ws()}`)}${ws()}]`;
  }
  if (value.pairs.length === 0) return `{${ws()}}`;
  return `{${ws()}${value.pairs.map(([k, v]) => `${encodeString(rng, k, style) + ws()}:${ws()}${serialize(rng, v, style)}`).join(`${ws()},${ws()}`)}${ws()}}`;
}

/** The plain JS value JSON.parse would give (last duplicate key wins). */
function plain(value: Value): unknown {
  if (value instanceof Raw) return JSON.parse(value.text);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Obj) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value.pairs) Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

const STATUSES = ['confirmed', 'suspected', 'unknown'] as const;
const EVIDENCES = [undefined, 'advert', 'path'] as const;

function hexKey(rng: Rng): string {
  const length = rng.pick([2, 3, 8, 63, 64, 64, 64, rng.between(2, 64)]);
  const digits = rng.pick(['0123456789abcdef', '0123456789abcdef', '0123456789ABCDEF', '0123456789abcdefABCDEF']);
  let key = '';
  for (let i = 0; i < length; i++) key += digits[rng.int(digits.length)];
  return key;
}

function canonicalEntry(rng: Rng): Obj {
  const evidence = rng.pick(EVIDENCES);
  const pairs: [string, Value][] = [
    ['public_key', hexKey(rng)],
    ['status', rng.pick(STATUSES)],
  ];
  if (evidence) pairs.push(['evidence', evidence]);
  return new Obj(pairs);
}

const TRICKY_PIECES = [
  '[',
  ']',
  '{',
  '}',
  '"',
  '\\',
  '\\"',
  ',',
  ':',
  '"entries":[',
  'entries',
  ' ',
  '\n',
  '\t',
  '/',
  '\u0000',
  '\u001f',
  'é',
  'Ünïcødé',
  '✓',
  '🎉',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ufeff',
  'null',
  '0',
  '-',
];

function trickyString(rng: Rng): string {
  let s = '';
  for (let i = rng.int(8); i >= 0; i--) s += rng.pick(TRICKY_PIECES);
  return s;
}

const NUMBER_TEXTS = ['0', '-0', '1', '1.5', '1E2', '1e+2', '-1.25e-3', '123456789012345678901234567890', '1e400', '0.000001', '9007199254740993'];

function extraValue(rng: Rng, depth = 0): Value {
  switch (rng.int(depth > 2 ? 4 : 7)) {
    case 0:
      return trickyString(rng);
    case 1:
      return new Raw(rng.pick(NUMBER_TEXTS));
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return rng.between(0, 1e6);
    case 4:
      return Array.from({ length: rng.int(4) }, () => extraValue(rng, depth + 1));
    case 5:
      return new Obj(
        Array.from({ length: rng.int(4) }, () => [rng.pick(['entries', 'a', '"]', '{', 'x\\y', 'é', '']), extraValue(rng, depth + 1)] as [string, Value]),
      );
    default:
      // Something that looks like entries
      return [canonicalEntry(rng), canonicalEntry(rng)];
  }
}

/** An entry that is not in canonical form: valid or not. */
function oddEntry(rng: Rng): Value {
  const base = canonicalEntry(rng);
  const pairs = base.pairs;
  const set = (key: string, value: Value) => {
    const at = pairs.findIndex(([k]) => k === key);
    if (at >= 0) pairs[at] = [key, value];
    else pairs.push([key, value]);
  };
  switch (rng.int(20)) {
    case 0:
      rng.shuffle(pairs);
      break;
    case 1:
      pairs.splice(rng.int(pairs.length + 1), 0, [rng.pick(['note', 'rssi', 'seen', 'entries', 'public_keys', '']), extraValue(rng)]);
      break;
    case 2:
      set('evidence', '');
      break;
    case 3:
      set('evidence', rng.pick([null, 'ADVERT', 'none', 'advert ', 1, 'pat']));
      break;
    case 4:
      set('public_key', rng.pick(['', 'a', 'g0', 'zz', '0'.repeat(65), 'f'.repeat(100), ' aa', 'aa ', 'a-b', 'ａａ', 'é0']));
      break;
    case 5:
      set('public_key', rng.pick<Value>([null, 12, new Raw('1e3'), ['aa'], new Obj([])]));
      break;
    case 6:
      set('status', rng.pick<Value>(['Confirmed', 'bogus', '', 'confirmed ', 'unknow', null, 3, ['confirmed']]));
      break;
    case 7:
      pairs.splice(
        pairs.findIndex(([k]) => k === 'status'),
        1,
      );
      break;
    case 8:
      pairs.splice(0, 1);
      break;
    case 9:
      // A duplicate key inside the entry: the last one wins
      pairs.push(['status', rng.pick(STATUSES)]);
      break;
    case 10:
      pairs.splice(1, 0, ['public_key', hexKey(rng)]);
      break;
    case 11:
      return rng.pick<Value>([null, true, false, 0, 1, 'confirmed', '', [], new Obj([]), new Raw('-0'), new Raw('1e5')]);
    case 12:
      return [base];
    case 13:
      pairs.push(['__proto__', new Obj([['status', 'confirmed']])]);
      break;
    case 14:
      set('evidence', rng.pick(['advert', 'path']));
      pairs.push(['x', trickyString(rng)]);
      break;
    case 15:
      // Canonical but with a key one past the limit, or exactly at it
      set('public_key', 'A'.repeat(rng.pick([1, 2, 64, 65])));
      break;
    case 16:
      set('status', rng.pick(STATUSES));
      pairs.push(['evidence', rng.pick(['advert', 'path'])], ['evidence', rng.pick(['advert', 'path', ''])]);
      break;
    case 17:
      return new Obj([['entry', base]]);
    default:
      // Valid, canonical keys, but written with spaces or escapes (decided by the caller's style)
      break;
  }
  return base;
}

type Built = {
  text: string;
  /** Valid JSON with exactly one `entries` key at the top, holding an array. */
  regular: boolean;
  /** JSON.stringify of a canonical snapshot, untouched. */
  plainCanonical: boolean;
};

function isoTime(rng: Rng): string {
  return new Date(Date.UTC(2020 + rng.int(10), rng.int(12), 1 + rng.int(28), rng.int(24), rng.int(60), rng.int(60), rng.int(1000))).toISOString();
}

function buildDocument(rng: Rng): Built {
  const count = rng.chance(0.01) ? rng.between(1025, 1300) : rng.chance(0.1) ? 0 : rng.between(1, rng.pick([3, 10, 40]));
  const oddRate = rng.pick([0, 0, 0.05, 0.2, 0.5, 1]);
  const entries: Value[] = Array.from({ length: count }, () => (rng.chance(oddRate) ? oddEntry(rng) : canonicalEntry(rng)));

  // Plain canonical snapshot: JSON.stringify, no variation at all
  if (rng.chance(0.2)) {
    const canonical = rng.chance(0.8);
    if (canonical) entries.forEach((_, i) => (entries[i] = canonicalEntry(rng)));
    const doc: Record<string, unknown> = { version: 1, seq: rng.between(0, 1e9), writtenAt: isoTime(rng), entries: plain(entries) };
    if (rng.chance(0.2)) delete doc.version;
    if (rng.chance(0.2)) delete doc.seq;
    return { text: JSON.stringify(doc), regular: true, plainCanonical: canonical || oddRate === 0 };
  }

  const top: [string, Value][] = [
    ['version', rng.chance(0.9) ? 1 : new Raw(rng.pick(['1.0', '1E0', '2', '"1"']))],
    ['seq', new Raw(String(rng.between(0, 1e9)))],
    ['writtenAt', rng.chance(0.95) ? isoTime(rng) : trickyString(rng)],
  ];
  if (rng.chance(0.1)) top.splice(rng.int(3), 1);
  for (let i = rng.chance(0.5) ? rng.int(4) : 0; i > 0; i--) {
    top.push([rng.pick(['note', 'meta', 'list', 'Entries', 'entries ', 'entriesX', 'entrie', '', 'é', '__proto__', 'checksumish']), extraValue(rng)]);
  }
  let entriesCount = 1;
  let entriesValue: Value = entries;
  let entriesArray = true;
  const shape = rng.int(25);
  if (shape === 0) {
    entriesValue = rng.pick<Value>([null, new Obj([]), 'entries', 5, true, new Raw('[1]'), new Obj([['0', canonicalEntry(rng)]])]);
    entriesArray = Array.isArray(entriesValue) || entriesValue instanceof Raw;
  } else if (shape === 1) {
    entriesCount = 0;
  }
  if (entriesCount === 1) top.splice(rng.int(top.length + 1), 0, ['entries', entriesValue]);
  if (shape === 2) {
    // A second `entries` key; JSON.parse keeps the last
    top.splice(rng.int(top.length + 1), 0, ['entries', rng.pick<Value>([null, [], [canonicalEntry(rng)], new Obj([])])]);
    entriesCount = 2;
  }

  // How to write it
  const mode = rng.int(6);
  let text: string;
  if (mode === 0) {
    text = JSON.stringify(plain(new Obj(top)), null, rng.pick([2, 2, 4, '\t', ' ']));
  } else {
    const spaces = ['', '', ' ', '\n', '\t', '\r\n', '  \n    ', '\r'];
    const ws = mode === 1 ? () => rng.pick(spaces) : mode === 2 ? () => (rng.chance(0.1) ? rng.pick(spaces) : '') : () => '';
    const escapeRate = mode === 3 ? rng.pick([0.01, 0.05, 0.3, 1]) : 0;
    const style: Style = { ws, escape: escapeRate };
    // Some entries in their own style: spaced or escaped among compact ones
    const entryStyle = (_i: number): Style => (mode >= 4 && rng.chance(0.2) ? { ws: () => rng.pick(spaces), escape: rng.pick([0, 0.1]) } : style);
    const body = top
      .map(
        ([k, v]) =>
          `${encodeString(rng, k, style) + ws()}:${ws()}${k === 'entries' && Array.isArray(v) ? serialize(rng, v, style, entryStyle) : serialize(rng, v, style)}`,
      )
      .join(`${ws()},${ws()}`);
    text = `${ws()}{${ws()}${body}${ws()}}${ws()}`;
  }
  // Valid JSON by construction; checked all the same
  let valid = true;
  try {
    JSON.parse(text);
  } catch {
    valid = false;
  }
  return { text, regular: valid && entriesCount === 1 && entriesArray, plainCanonical: false };
}

// ---------------------------------------------------------------------------------------
// Damage

// Characters JSON does not count as whitespace, though other parsers might
const NOT_SPACE = ['\v', '\f', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u0000', '\u0085', '\u3000'];

const INSERTS = [
  '\v',
  '\f',
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '\\',
  ' ',
  '\n',
  '\t',
  '0',
  '1',
  '-',
  '.',
  'e',
  'E',
  '+',
  'a',
  'n',
  't',
  'u',
  'l',
  'null',
  'true',
  '\u0001',
  '\u0000',
  'é',
  '🎉',
  '\u2028',
  '\ufeff',
  '/*x*/',
  '\\u',
  '\\x',
  '""',
  '{}',
  '[]',
];

function damage(rng: Rng, text: string): string {
  const at = () => rng.int(text.length + 1);
  const occurrences = (chars: string) => {
    const found: number[] = [];
    for (let i = 0; i < text.length; i++) if (chars.includes(text[i]!)) found.push(i);
    return found;
  };
  switch (rng.int(17)) {
    case 0: {
      const p = at();
      return text.slice(0, p) + rng.pick([' ', '\n', '\t', '\r', '\r\n', '   ']) + text.slice(p);
    }
    case 1:
      return text.slice(0, at());
    case 2: {
      const p = at();
      return text.slice(0, p) + text.slice(p + rng.between(1, 3));
    }
    case 3: {
      const p = at();
      return text.slice(0, p) + rng.pick(INSERTS) + text.slice(p);
    }
    case 4: {
      const p = rng.int(text.length);
      return text.slice(0, p) + rng.pick(INSERTS) + text.slice(p + 1);
    }
    case 5: {
      // A trailing comma
      const closes = occurrences('}]');
      if (!closes.length) return `${text},`;
      const p = rng.pick(closes);
      return text.slice(0, p) + rng.pick([',', ' ,', ',\n']) + text.slice(p);
    }
    case 6: {
      const commas = occurrences(',');
      if (!commas.length) return text;
      const p = rng.pick(commas);
      return text.slice(0, p) + text.slice(p + 1);
    }
    case 7: {
      const a = at();
      const b = Math.min(text.length, a + rng.between(1, 40));
      const p = at();
      return text.slice(0, p) + text.slice(a, b) + text.slice(p);
    }
    case 8: {
      // A second `entries` key right after the opening brace
      const p = text.indexOf('{');
      if (p < 0) return text;
      const extra = rng.pick([
        '"entries":null,',
        '"entries":[],',
        '"entri\\u0065s":[{"public_key":"aa","status":"unknown"}],',
        '"entries":{},',
        '"entries":[],"entries":[],',
      ]);
      return text.slice(0, p + 1) + extra + text.slice(p + 1);
    }
    case 9: {
      const p = rng.int(Math.max(1, text.length - 1));
      return text.slice(0, p) + text.slice(p + 1, p + 2) + text.slice(p, p + 1) + text.slice(p + 2);
    }
    case 10:
      return text + rng.pick(['x', ',', '}', ' {}', '\u0000', '\n\n', ' ', 'null', ']']);
    case 11:
      return rng.pick(['\ufeff', ',', '[', ' ', '\n', 'x']) + text;
    case 12: {
      // Break the string inside an entry: escapes, quotes, control characters
      const quotes = occurrences('"');
      if (!quotes.length) return text;
      const p = rng.pick(quotes) + 1;
      return text.slice(0, p) + rng.pick(['\\', '\\"', '"', '\n', '\t', '\\u00', '\\q', '\\u0041', '\\\\']) + text.slice(p);
    }
    case 13: {
      // Replace a value word
      const words = ['"confirmed"', '"suspected"', '"unknown"', '"advert"', '"path"', '"entries"', '"public_key"', '"status"', '"evidence"'];
      const word = rng.pick(words);
      const p = text.indexOf(word, rng.int(text.length));
      if (p < 0) return text;
      const by = rng.pick([
        '"\\u0063onfirmed"',
        '"Confirmed"',
        '"entri\\u0065s"',
        '"status"',
        '"evidence"',
        '""',
        'null',
        '"path"',
        '"public_key"',
        '"status" ',
        ' "advert"',
      ]);
      return text.slice(0, p) + by + text.slice(p + word.length);
    }
    case 14: {
      // Change a hex digit of a key to something else
      const p = text.indexOf('"public_key":"', rng.int(text.length));
      if (p < 0) return text;
      const q = p + 14 + rng.int(4);
      return text.slice(0, q) + rng.pick(['g', 'G', ' ', '"', 'é', '\\u0061', '0'.repeat(70)]) + text.slice(q + 1);
    }
    case 16: {
      // Something that is not JSON whitespace next to a separator
      const separators = occurrences('{}[],:');
      if (!separators.length) return text;
      const p = rng.pick(separators) + rng.int(2);
      return text.slice(0, p) + rng.pick(NOT_SPACE) + text.slice(p);
    }
    default: {
      // Close the document early
      const closes = occurrences(']}');
      if (!closes.length) return text;
      const p = rng.pick(closes);
      return text.slice(0, p + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The fuzz

const CASES = 5000;
const SEED = 0x5eed2025;

test(`parseDocument agrees with JSON.parse on ${CASES} generated documents`, () => {
  const started = Date.now();
  const rng = createRng(SEED);
  const failures: string[] = [];
  let plainCanonical = 0;
  let regular = 0;
  let regularFast = 0;
  let damagedValid = 0;
  let damagedValidFast = 0;
  let rejected = 0;
  let notUtf8 = 0;
  let fastTotal = 0;

  for (let n = 0; n < CASES; n++) {
    const built = buildDocument(rng);
    let text = built.text;
    let bytes: Buffer;
    let start = 0;
    let damaged = false;
    const kind = rng.int(20);
    if (kind < 9) {
      bytes = Buffer.from(text);
    } else if (kind < 17) {
      for (let k = rng.between(1, 3); k > 0; k--) text = damage(rng, text);
      damaged = true;
      bytes = Buffer.from(text);
    } else if (kind < 19) {
      // Random bytes flipped, inserted or deleted; only valid UTF-8 reaches parseDocument
      bytes = Buffer.from(text);
      for (let k = rng.between(1, 3); k > 0; k--) {
        const p = rng.int(bytes.length + 1);
        const op = rng.int(3);
        if (op === 0 && p < bytes.length) bytes[p] = bytes[p]! ^ (1 << rng.int(8));
        else if (op === 1) bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from([rng.int(128)]), bytes.subarray(p)]);
        else bytes = Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + 1)]);
      }
      if (!isUtf8(bytes)) {
        notUtf8++;
        continue;
      }
      text = bytes.toString('utf8');
      damaged = true;
    } else {
      // The document after a prefix (a BOM, as readHandoff skips it, or other bytes)
      if (rng.chance(0.5)) {
        text = damage(rng, text);
        damaged = true;
      }
      const prefix = Buffer.from(rng.pick(['\ufeff', '\ufeff', 'xyz', '{"entries":[', ' ', '}', '"']));
      start = prefix.length;
      bytes = Buffer.concat([prefix, Buffer.from(text)]);
    }

    const matchedBefore = codecMatches;
    const outcome = compare(bytes, start, n % 4 === 0);
    const matched = codecMatches - matchedBefore;
    if (outcome.fast) fastTotal++;
    if (!outcome.ref.ok) rejected++;
    if (outcome.failure) {
      const decoded = bytes.toString('utf8', start);
      const minimal = failures.length < 3 ? `\n  minimal: ${JSON.stringify(shrink(decoded))}` : '';
      failures.push(`case ${n}: ${outcome.failure}\n  text: ${JSON.stringify(decoded.length > 400 ? `${decoded.slice(0, 400)}…` : decoded)}${minimal}`);
      continue;
    }
    if (!damaged) {
      if (built.plainCanonical) {
        plainCanonical++;
        if (!outcome.fast) failures.push(`case ${n}: a plain canonical document did not take the fast path: ${JSON.stringify(text.slice(0, 300))}`);
        // …and the codec recognised every entry in it (none went through JSON.parse)
        else if (outcome.ref.ok && matched !== outcome.ref.entries!.length) {
          failures.push(
            `case ${n}: the codec recognised ${matched} of the ${outcome.ref.entries!.length} canonical entries: ${JSON.stringify(text.slice(0, 300))}`,
          );
        }
      }
      if (built.regular) {
        regular++;
        if (outcome.fast) regularFast++;
        else failures.push(`case ${n}: a valid document with one entries array did not take the fast path: ${JSON.stringify(text.slice(0, 300))}`);
      }
    } else if (outcome.ref.ok && outcome.ref.envelope !== null) {
      damagedValid++;
      if (outcome.fast) damagedValidFast++;
    }
  }

  if (process.env.FUZZ_STATS)
    console.log({ plainCanonical, regular, regularFast, damagedValid, damagedValidFast, rejected, notUtf8, fastTotal, ms: Date.now() - started });
  assert.is(failures.length, 0, `${failures.length} disagreement(s):\n${failures.slice(0, 10).join('\n')}`);
  // The generator reaches what it should
  assert.ok(plainCanonical >= CASES * 0.05, `only ${plainCanonical} plain canonical documents`);
  assert.ok(regular >= CASES * 0.2, `only ${regular} regular documents`);
  assert.ok(rejected >= CASES * 0.15, `only ${rejected} documents JSON.parse rejects`);
  assert.ok(damagedValid >= 50, `only ${damagedValid} damaged documents were still valid`);
  assert.ok(notUtf8 < CASES * 0.1);
  // Damaged-but-valid documents mostly still go through the fast path
  assert.ok(damagedValidFast >= damagedValid * 0.7, `only ${damagedValidFast} of ${damagedValid} damaged but valid documents took the fast path`);
  assert.ok(fastTotal >= CASES * 0.4, `only ${fastTotal} of ${CASES} took the fast path`);
});

// ---------------------------------------------------------------------------------------
// Hand-picked documents at the edges

test('edge documents: accepted only when valid, and then the same', () => {
  const e = '{"public_key":"aa","status":"confirmed"}';
  const head = '{"version":1,"writtenAt":"2026-11-21T23:00:00.000Z",';
  const docs = [
    `${head}"entries":[${e}]}`,
    `${head}"entries":[${e},]}`,
    `${head}"entries":[,${e}]}`,
    `${head}"entries":[${e}],}`,
    `${head}"entries":[${e}]`,
    `${head}"entries":[${e}]}}`,
    `${head}"entries":[${e}]} x`,
    `${head}"entries":[${e} ${e}]}`,
    `${head}"entries":[${e}],"entries":[${e}]}`,
    `${head}"entri\\u0065s":[${e}]}`,
    `${head}"entri\\u0065s":[${e}],"entries":[]}`,
    `${head}"entries\\u0000":[${e}]}`,
    `${head}"entries":null}`,
    `${head}"entries":{}}`,
    `${head}"entries":[1 2]}`,
    `${head}"entries":[1"x"]}`,
    `${head}"entries":["a":1]}`,
    `${head}"entries":[tru]}`,
    `${head}"entries":[true,null,"x",[],{},-0,1e400]}`,
    `${head}"entries":[{"public_key":"aa","status":"confirmed"}}]}`,
    `${head}"entries":[{"public_key":"aa","status":"confirmed","evidence":""}]}`,
    `${head}"entries":[{"public_key":"aa","status":"confirmed","evidence":"advert","x":1}]}`,
    `${head}"entries":[{"public_key":"aa","status":"confirmed","status":"unknown"}]}`,
    `${head}"entries":[{"public_key":"aa","status":"\\u0063onfirmed"}]}`,
    `${head}"entries":[{"public_key":"${'a'.repeat(65)}","status":"confirmed"}]}`,
    `${head}"entries":[{"public_key":"a\tb","status":"confirmed"}]}`,
    `${head}"x":"\t","entries":[]}`,
    `${head}"x":"\\q","entries":[]}`,
    `${head}"x":[}],"entries":[]}`,
    `${head}"x":{"entries":[1,2]},"entries":[${e}]}`,
    `${head}"x":"\\"entries\\":[","entries":[${e}]}`,
    `${head}"x":01,"entries":[]}`,
    `${head}"x":1.,"entries":[]}`,
    `${head}"x":- 1,"entries":[]}`,
    `${head}"__proto__":{"a":1},"entries":[${e}]}`,
    `${head}"entries":[{"__proto__":{"a":1},"public_key":"aa","status":"confirmed"}]}`,
    `{"entries":[]}`,
    `{}`,
    `[]`,
    ``,
    ` `,
    `{"entries":[`,
    `{"entries":[]`,
    `{"entries"`,
    `{"entries":`,
    `{"entries":[{"public_key":"aa","status":"confirmed"`,
    `{"entries":[{"public_key":"aa","status":"confirmed","evidence":"path"}]}\u2028`,
    `\u00a0{"entries":[]}`,
    `${head}"deep":${'['.repeat(1000)}${']'.repeat(1000)},"entries":[${e},${'['.repeat(3000)}${']'.repeat(3000)}]}`,
    `${head}"deep":${'['.repeat(5000)}${']'.repeat(4999)},"entries":[${e}]}`,
  ];
  for (const text of docs) {
    const outcome = compare(Buffer.from(text), 0, true);
    assert.is(outcome.failure, null, `${JSON.stringify(text)}: ${outcome.failure}`);
  }
  // These are regular: the fast path must take them
  for (const text of [docs[0]!, docs[9]!, docs[18]!, docs[20]!, docs[21]!, docs[29]!, docs[30]!, docs[34]!, docs[35]!, docs[36]!]) {
    assert.ok(compare(Buffer.from(text)).fast, `${JSON.stringify(text)} did not take the fast path`);
  }
});

// ---------------------------------------------------------------------------------------
// End to end, through files on disk

async function readBack(text: string | Buffer) {
  const s = scratch();
  try {
    mkdirSync(s.queue, { recursive: true });
    writeFileSync(s.file, text);
    return await readSnapshot(s.db);
  } finally {
    s.cleanup();
  }
}

async function expectRead(text: string, file: string | Buffer = text) {
  const ref = reference(text);
  assert.ok(ref.ok && ref.entries !== null, 'the reference parses the text');
  if (!ref.ok) return;
  const read = await readBack(file);
  assert.ok(read.snapshot.table !== null, 'the entries are packed');
  assert.equal(read.snapshot.entries.map(normalize), ref.entries);
  assert.is(read.snapshot.count, ref.entries!.length);
  assert.is(read.invalid, ref.invalid);
  assert.equal(read.invalidSamples, ref.invalidSamples);
  return { read, ref };
}

function sampleEntries(rng: Rng, n: number): MbcapEntry[] {
  return Array.from({ length: n }, () => plain(canonicalEntry(rng)) as MbcapEntry);
}

test('readSnapshot: a pretty-printed file', async () => {
  const rng = createRng(1);
  const text = JSON.stringify(
    { version: 1, seq: 7, writtenAt: '2026-11-21T23:00:00.000Z', note: 'a [bracket] and a "quote" \\ é', entries: sampleEntries(rng, 50) },
    null,
    2,
  );
  assert.ok(parseDocument(Buffer.from(text), 0, spec), 'the fast path takes it');
  const result = await expectRead(text);
  assert.is(result!.read.snapshot.count, 50);
  assert.is(result!.read.snapshot.seq, 7);
});

test('readSnapshot: a file with a UTF-8 BOM', async () => {
  const rng = createRng(2);
  const text = JSON.stringify({ version: 1, seq: 1, writtenAt: '2026-11-21T23:00:00.000Z', entries: sampleEntries(rng, 20) });
  const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  assert.ok(parseDocument(file, 3, spec), 'the fast path takes it after the BOM');
  assert.is(parseDocument(file, 0, spec), null, 'not with the BOM');
  const result = await expectRead(text, file);
  assert.is(result!.read.snapshot.count, 20);
});

test('readSnapshot: non-canonical entries among canonical ones', async () => {
  const rng = createRng(3);
  const canonical = sampleEntries(rng, 6).map((e) => JSON.stringify(e));
  const odd = [
    '{"status":"suspected","public_key":"ABCDEF"}',
    '{ "public_key" : "0a0b", "status" : "unknown", "evidence" : "path" }',
    '{"public_key":"aa","status":"\\u0063onfirmed","evidence":"adv\\u0065rt"}',
    '{"public_key":"bb","status":"confirmed","evidence":""}',
    '{"public_key":"cc","status":"confirmed","seen":"[{\\"x\\"}]","rssi":-3}',
    '{"public_key":"dd","status":"confirmed","status":"unknown"}',
    '{"public_\\u006bey":"ee","status":"suspected"}',
  ];
  const items: string[] = [];
  canonical.forEach((c, i) => items.push(c, odd[i] ?? odd[0]!));
  items.push(odd[6]!);
  const text = `{"version":1,"writtenAt":"2026-11-21T23:00:00Z","entries":[\n${items.join(',\n')}\n],"meta":{"entries":[1,2,3]}}`;
  assert.ok(parseDocument(Buffer.from(text), 0, spec), 'the fast path takes it');
  const result = await expectRead(text);
  assert.is(result!.read.snapshot.count, items.length);
  assert.is(result!.read.invalid, 0);
  assert.equal(result!.read.snapshot.entries[3], { public_key: '0a0b', status: 'unknown', evidence: 'path' });
  assert.equal(result!.read.snapshot.entries[7], { public_key: 'bb', status: 'confirmed' });
  assert.equal(result!.read.snapshot.entries[11], { public_key: 'dd', status: 'unknown' });
});

test('readSnapshot: invalid entries are counted, the first five sampled with their index', async () => {
  const rng = createRng(4);
  const good = sampleEntries(rng, 10).map((e) => JSON.stringify(e));
  const bad = [
    '{"public_key":"xyz","status":"confirmed"}',
    '{"public_key":"aa","status":"maybe"}',
    '{"public_key":"aa","status":"confirmed","evidence":"hearsay"}',
    'null',
    '{"status":"confirmed"}',
    `{"public_key":"${'0'.repeat(65)}","status":"unknown"}`,
    '"aa"',
  ];
  // bad entries at indices 1, 3, 5, …
  const items: string[] = [];
  good.forEach((g, i) => items.push(g, ...(i < bad.length ? [bad[i]!] : [])));
  const text = `{"version":1,"seq":3,"writtenAt":"2026-11-21T23:00:00Z","entries":[${items.join(',')}]}`;
  assert.ok(parseDocument(Buffer.from(text), 0, spec), 'the fast path takes it');
  const result = await expectRead(text);
  assert.is(result!.read.invalid, 7);
  assert.is(result!.read.snapshot.count, 10);
  assert.equal(
    result!.read.invalidSamples.map((x) => x.index),
    [1, 3, 5, 7, 9],
  );
  assert.match(result!.read.invalidSamples[0]!.reason, /public_key/);
  assert.match(result!.read.invalidSamples[1]!.reason, /status/);
  assert.match(result!.read.invalidSamples[2]!.reason, /evidence/);
});

test('readSnapshot: irregular documents go the whole way and give the same', async () => {
  const rng = createRng(5);
  const entries = sampleEntries(rng, 5);
  const last = JSON.stringify(entries.slice(2));
  // A second entries key: JSON.parse keeps the last
  const text = `{"version":1,"writtenAt":"2026-11-21T23:00:00Z","entries":${JSON.stringify(entries)},"entri\\u0065s":${last}}`;
  assert.is(parseDocument(Buffer.from(text), 0, spec), null);
  const result = await expectRead(text);
  assert.is(result!.read.snapshot.count, 3);
});

test('readSnapshot: a large file (table growth) with odd entries interleaved', async () => {
  const rng = createRng(6);
  const items = Array.from({ length: 3000 }, (_, i) => {
    const e = plain(canonicalEntry(rng)) as MbcapEntry;
    if (i % 97 === 0) return JSON.stringify(e, null, 1);
    if (i % 101 === 0) return JSON.stringify({ ...e, status: 'nope' });
    return JSON.stringify(e);
  });
  const text = `{"version":1,"writtenAt":"2026-11-21T23:00:00Z","entries":[${items.join(',')}]}`;
  const result = await expectRead(text);
  assert.is(result!.read.snapshot.count + result!.read.invalid, 3000);
});

test.run();
