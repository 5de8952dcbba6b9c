// The entries of a write as the bytes that go to disk: serialised once, at the call, and
// validated in those bytes by the handoff's codec (the same matcher readers use), at the
// call or when the write's turn comes. An entry in another shape is rebuilt in canonical
// form; an invalid one refuses the write, naming its index.
import type { EntryCodec, SpanSink } from './packed/codec.js';
import type { HandoffSpec } from './spec.js';

/** From this size on, entries are checked while their bytes are flushed (see write.ts). */
export const EARLY_FLUSH_BYTES = 1 << 20;

export type SerializedEntries<Entry> = {
  spec: HandoffSpec<Entry>;
  /** The entries array, serialised at the call. */
  entries: Buffer;
  count: number;
  /** Whether `entries` is known valid and canonical (see ensureChecked). */
  checked: boolean;
};

const NO_SINK: SpanSink = { pushSpan() {} };

/**
 * JSON text as UTF-8 bytes, in one pass for the usual all-ASCII text: written into a
 * buffer a few bytes longer than the text, it fills exactly text.length bytes only when
 * every character is ASCII (any other character takes 2 to 4 bytes, and a cut-off one is
 * never written). Buffer.from would measure the text first, a second pass.
 */
function utf8Of(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(text.length + 4);
  const written = bytes.write(text, 0, 'utf8');
  return written === text.length ? bytes.subarray(0, written) : Buffer.from(text, 'utf8');
}

/**
 * The entries array as the bytes to write, serialised once, at the call (a later change
 * by the caller cannot reach a write still pending). With a codec, checking those bytes
 * is the validation, and it is left for later (ensureChecked); without one, or when the
 * entries cannot be serialised, each entry is validated now.
 */
export function serializeEntries<Entry>(spec: HandoffSpec<Entry>, source: readonly Entry[]): Omit<SerializedEntries<Entry>, 'spec'> {
  if (spec.codec) {
    try {
      return { entries: utf8Of(JSON.stringify(source)), count: source.length, checked: false };
    } catch {
      // a BigInt or a cycle: the validation below names the entry
    }
  }
  const entries = validated(spec, source);
  return { entries: utf8Of(JSON.stringify(entries)), count: entries.length, checked: true };
}

/** Each entry validated and in canonical form; throws a TypeError naming the first invalid one. */
function validated<Entry>(spec: HandoffSpec<Entry>, source: readonly unknown[]): Entry[] {
  const entries: Entry[] = [];
  // With a codec, each entry is rebuilt from its packed form: the canonical shape and key order
  const canonical = spec.codec ? (e: Entry) => spec.codec!.entry(spec.codec!.key(e), spec.codec!.code(e)) : (e: Entry) => e;
  for (let index = 0; index < source.length; index++) {
    const value = source[index];
    if (spec.isPlainEntry?.(value)) {
      entries.push(canonical(value));
      continue;
    }
    const parsed = spec.entry.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new TypeError(`Invalid entry at index ${index}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    entries.push(canonical(parsed.data));
  }
  return entries;
}

/**
 * Makes sure a job's serialised entries are valid and canonical: every one is checked in
 * place by the codec; if one is not canonical, what was serialised is parsed back and
 * validated entry by entry (a TypeError names the first invalid one), and the canonical
 * form replaces it. A lone write runs this when its turn comes (a large one while its bytes
 * are flushed); a write that replaces a pending one (or is replaced) runs it at the call,
 * so an invalid write never stands in for a valid one.
 */
export function ensureChecked(job: SerializedEntries<unknown>): void {
  if (job.checked) return;
  if (!allCanonical(job.spec.codec!, job.entries, job.count)) {
    const entries = validated(job.spec, JSON.parse(job.entries.toString('utf8')) as unknown[]);
    job.entries = utf8Of(JSON.stringify(entries));
    job.count = entries.length;
  }
  job.checked = true;
}

/** Whether `bytes` (JSON.stringify of an array) holds `count` entries, each canonical. */
function allCanonical<Entry>(codec: EntryCodec<Entry>, bytes: Buffer, count: number): boolean {
  if (bytes[0] !== 0x5b) return false;
  if (count === 0) return bytes.length === 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 1;
  for (let i = 0; i < count; i++) {
    p = codec.match(bytes, view, p, NO_SINK);
    if (p < 0) return false;
    const separator = bytes[p++];
    if (separator !== (i === count - 1 ? 0x5d : 0x2c)) return false;
  }
  return p === bytes.length;
}
