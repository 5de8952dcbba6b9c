// Where the entries of a document go as they are read: packed into a table when the
// handoff has a codec, else kept as objects; an invalid one is dropped and counted.
import type { HandoffSpec } from '../spec.js';
import { EntryTable } from './table.js';

const MAX_SAMPLES = 5;

export type EntryOutcome<Entry> = {
  /** The entries, in order, when the handoff has no codec. */
  entries: Entry[] | null;
  /** The entries, packed, when it has one. */
  table: EntryTable | null;
  invalid: number;
  invalidSamples: { index: number; reason: string }[];
};

/** Collects entries one by one: packed when the handoff has a codec, dropped and counted when invalid. */
export class EntrySink<Entry> {
  readonly entries: Entry[] | null;
  readonly table: EntryTable | null;
  invalid = 0;
  readonly invalidSamples: { index: number; reason: string }[] = [];
  #index = 0;
  readonly #view: DataView<ArrayBufferLike>;

  /** `bytes`: the file, which a codec's table points into. */
  constructor(
    private readonly spec: HandoffSpec<Entry>,
    private readonly bytes: Uint8Array,
  ) {
    this.entries = spec.codec ? null : [];
    this.table = spec.codec ? new EntryTable(bytes) : null;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The canonical entry at bytes[at], packed; the offset after it, or -1. */
  match(at: number): number {
    if (!this.spec.codec) return -1;
    const end = this.spec.codec.match(this.bytes, this.#view, at, this.table!);
    if (end >= 0) this.#index++;
    return end;
  }

  /** Any parsed entry: validated, then kept or counted as invalid. */
  add(value: unknown): void {
    const index = this.#index++;
    let entry: Entry;
    if (this.spec.isPlainEntry?.(value)) entry = value;
    else {
      const parsed = this.spec.entry.safeParse(value);
      if (!parsed.success) {
        this.invalid++;
        if (this.invalidSamples.length < MAX_SAMPLES) {
          const issue = parsed.error.issues[0]!;
          this.invalidSamples.push({ index, reason: `${issue.path.join('.') || 'entry'}: ${issue.message}` });
        }
        return;
      }
      entry = parsed.data;
    }
    if (this.table) this.table.push(this.spec.codec!.key(entry), this.spec.codec!.code(entry));
    else this.entries!.push(entry);
  }

  outcome(): EntryOutcome<Entry> {
    return { entries: this.entries, table: this.table, invalid: this.invalid, invalidSamples: this.invalidSamples };
  }
}
