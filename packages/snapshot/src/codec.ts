// The packed form of an mbcap entry: its public key, and one number for the rest:
// code = 3 * status + evidence, status 0 confirmed, 1 suspected, 2 unknown (the order of
// MULTIBYTE_STATUSES), evidence 0 none, 1 advert, 2 path.
import type { EntryCodec, SpanSink } from '@mbcap/handoff/packed';
import type { MbcapEntry } from './entry.js';
import { MULTIBYTE_STATUSES, type MultibyteEvidence, type MultibyteStatus } from './status.js';

const EVIDENCE: readonly (MultibyteEvidence | undefined)[] = [undefined, 'advert', 'path'];

export function mbcapCode(status: MultibyteStatus, evidence: MultibyteEvidence | undefined): number {
  return 3 * MULTIBYTE_STATUSES.indexOf(status) + (evidence === 'advert' ? 1 : evidence === 'path' ? 2 : 0);
}

/** What a code says: its status and evidence. */
export function mbcapParts(code: number): { status: MultibyteStatus; evidence: MultibyteEvidence | undefined } {
  return { status: MULTIBYTE_STATUSES[Math.floor(code / 3)]!, evidence: EVIDENCE[code % 3] };
}

// The bytes of a canonical entry, as JSON.stringify (and Go's encoding/json) write it:
//   {"public_key":"<2 to 64 hex>","status":"confirmed|suspected|unknown"[,"evidence":"advert|path"]}
// Fixed words are compared four bytes at a time (little-endian 32-bit reads, the last one
// overlapping when the length is not a multiple of four).
type Word = { length: number; offsets: readonly number[]; values: readonly number[] };
function word(text: string): Word {
  const bytes = Buffer.from(text, 'latin1');
  const offsets: number[] = [];
  for (let o = 0; o + 4 <= bytes.length; o += 4) offsets.push(o);
  if (bytes.length % 4 !== 0) offsets.push(bytes.length - 4);
  return { length: bytes.length, offsets, values: offsets.map((o) => bytes.readUInt32LE(o)) };
}
const OPEN = word('{"public_key":"');
const STATUS = word('","status":"');
const EVIDENCE_FIELD = word('","evidence":"');
const STATUS_WORDS = MULTIBYTE_STATUSES.map(word); // c…, s…, u…: first letters differ
const EVIDENCE_WORDS = [word('advert'), word('path')]; // a…, p…
const QUOTE = 0x22;
const CLOSE = 0x7d;

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** Just past the run of hex digits at p (four at a time: this loop is most of a match). */
function hexRun(bytes: Uint8Array, p: number): number {
  for (;;) {
    if (HEX[bytes[p]!] !== 1) return p;
    if (HEX[bytes[p + 1]!] !== 1) return p + 1;
    if (HEX[bytes[p + 2]!] !== 1) return p + 2;
    if (HEX[bytes[p + 3]!] !== 1) return p + 3;
    p += 4;
  }
}

function has(view: DataView<ArrayBufferLike>, at: number, w: Word): boolean {
  if (at + w.length > view.byteLength) return false;
  const { offsets, values } = w;
  for (let i = 0; i < offsets.length; i++) if (view.getUint32(at + offsets[i]!, true) !== values[i]) return false;
  return true;
}

function matchMbcap(bytes: Uint8Array, v: DataView<ArrayBufferLike>, at: number, sink: SpanSink): number {
  if (!has(v, at, OPEN)) return -1;
  const keyStart = at + OPEN.length;
  let p = hexRun(bytes, keyStart);
  const keyEnd = p;
  if (keyEnd - keyStart < 2 || keyEnd - keyStart > 64 || !has(v, p, STATUS)) return -1;
  p += STATUS.length;
  // The first letter tells which word it must be
  const status = bytes[p] === 0x63 ? 0 : bytes[p] === 0x73 ? 1 : bytes[p] === 0x75 ? 2 : -1;
  if (status < 0 || !has(v, p, STATUS_WORDS[status]!)) return -1;
  p += STATUS_WORDS[status]!.length;
  let evidence = 0;
  if (bytes[p] === QUOTE && bytes[p + 1] === CLOSE) {
    p += 2;
  } else {
    if (!has(v, p, EVIDENCE_FIELD)) return -1;
    p += EVIDENCE_FIELD.length;
    evidence = bytes[p] === 0x61 ? 1 : bytes[p] === 0x70 ? 2 : 0;
    if (evidence === 0 || !has(v, p, EVIDENCE_WORDS[evidence - 1]!)) return -1;
    p += EVIDENCE_WORDS[evidence - 1]!.length;
    if (bytes[p] !== QUOTE || bytes[p + 1] !== CLOSE) return -1;
    p += 2;
  }
  sink.pushSpan(keyStart, keyEnd, 3 * status + evidence);
  return p;
}

export const mbcapCodec: EntryCodec<MbcapEntry> = {
  match: matchMbcap,
  key: (entry) => entry.public_key,
  code: (entry) => mbcapCode(entry.status, entry.evidence),
  entry: (key, code) => {
    const { status, evidence } = mbcapParts(code);
    return evidence ? { public_key: key, status, evidence } : { public_key: key, status };
  },
};
