// Parsing a snapshot document straight from its bytes, without building the whole JSON
// tree: the top-level object is walked to find `entries`; each entry is either recognised
// in its canonical bytes by the handoff's codec (packed at once, no object) or cut out and
// parsed with JSON.parse and validated; everything outside `entries` (a few hundred bytes)
// is parsed with JSON.parse, with `entries` replaced by null.
//
// Every byte ends up checked by JSON.parse or matched exactly, and the separators between
// the pieces are checked here, so a document is accepted only if it is valid JSON. Any
// irregularity (a second `entries` key, `entries` that is not an array, a byte out of
// place) returns null, and the caller parses the document whole, which either accepts it
// the same way or explains what is wrong.
import { EntrySink, type EntryOutcome } from './entry-sink.js';
import type { HandoffSpec } from '../spec.js';

export type ParsedDocument<Entry> = EntryOutcome<Entry> & {
  /** The document with `entries` set to null. */
  envelope: Record<string, unknown>;
};

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function skipSpace(bytes: Uint8Array, p: number): number {
  for (;;) {
    const c = bytes[p];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) return p;
    p++;
  }
}

/** From an opening quote to just after the closing one; -1 when the string never closes. */
function skipString(bytes: Uint8Array, p: number): number {
  for (let i = p + 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/**
 * Just past the JSON value starting at p, or -1. It only finds the value's end (strings,
 * nesting); whether the value is valid is left to JSON.parse.
 */
function skipValue(bytes: Uint8Array, p: number): number {
  const c = bytes[p];
  if (c === QUOTE) return skipString(bytes, p);
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0;
    for (let i = p; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === QUOTE) {
        i = skipString(bytes, i) - 1;
        if (i < 0) return -1;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  // A number or a literal: up to the next separator
  let i = p;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY || b === SPACE || b === LF || b === CR || b === TAB) break;
    i++;
  }
  return i === p ? -1 : i;
}

const ENTRIES_KEY = Buffer.from('"entries"');

function isEntriesKey(bytes: Buffer, start: number, end: number): boolean {
  if (end - start === ENTRIES_KEY.length && bytes.compare(ENTRIES_KEY, 0, ENTRIES_KEY.length, start, end) === 0) return true;
  // An escaped spelling ("entri\u0065s") is the same key
  const backslashAt = bytes.indexOf(BACKSLASH, start);
  if (backslashAt < 0 || backslashAt >= end) return false;
  try {
    return JSON.parse(bytes.toString('utf8', start, end)) === 'entries';
  } catch {
    return false;
  }
}

/** The entries array starting at bytes[p] ('['): just past its ']', or -1. */
function parseEntries<Entry>(bytes: Buffer, p: number, sink: EntrySink<Entry>): number {
  p = skipSpace(bytes, p + 1);
  if (bytes[p] === CLOSE_ARRAY) return p + 1;
  for (;;) {
    let end = sink.match(p);
    if (end < 0) {
      end = skipValue(bytes, p);
      if (end < 0) return -1;
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8', p, end));
      } catch {
        return -1;
      }
      sink.add(value);
    }
    // The usual case first: a comma right after the entry, the next entry right after it
    p = bytes[end] === COMMA ? end : skipSpace(bytes, end);
    if (bytes[p] === COMMA) {
      p++;
      if (bytes[p] !== OPEN_OBJECT) p = skipSpace(bytes, p);
    } else if (bytes[p] === CLOSE_ARRAY) return p + 1;
    else return -1;
  }
}

/**
 * Parses the document in bytes[start, end) (valid UTF-8, checked by the caller), or
 * returns null when the caller should parse it whole instead.
 */
export function parseDocument<Entry>(bytes: Buffer, start: number, spec: HandoffSpec<Entry>): ParsedDocument<Entry> | null {
  let p = skipSpace(bytes, start);
  if (bytes[p] !== OPEN_OBJECT) return null;
  p = skipSpace(bytes, p + 1);
  let entriesStart = -1;
  let entriesEnd = -1;
  const sink = new EntrySink(spec, bytes);
  for (;;) {
    if (bytes[p] !== QUOTE) return null;
    const keyEnd = skipString(bytes, p);
    if (keyEnd < 0) return null;
    const isEntries = isEntriesKey(bytes, p, keyEnd);
    p = skipSpace(bytes, keyEnd);
    if (bytes[p] !== COLON) return null;
    p = skipSpace(bytes, p + 1);
    if (isEntries) {
      if (entriesStart >= 0 || bytes[p] !== OPEN_ARRAY) return null;
      entriesStart = p;
      p = parseEntries(bytes, p, sink);
      if (p < 0) return null;
      entriesEnd = p;
    } else {
      p = skipValue(bytes, p);
      if (p < 0) return null;
    }
    p = skipSpace(bytes, p);
    if (bytes[p] === COMMA) p = skipSpace(bytes, p + 1);
    else if (bytes[p] === CLOSE_OBJECT) break;
    else return null;
  }
  if (entriesStart < 0 || skipSpace(bytes, p + 1) !== bytes.length) return null;

  // Everything but the entries, with null in their place
  let envelope: unknown;
  try {
    envelope = JSON.parse(`${bytes.toString('utf8', start, entriesStart)}null${bytes.toString('utf8', entriesEnd)}`);
  } catch {
    return null;
  }
  if (typeof envelope !== 'object' || envelope === null || (envelope as { entries?: unknown }).entries !== null) return null;
  return { envelope: envelope as Record<string, unknown>, ...sink.outcome() };
}
