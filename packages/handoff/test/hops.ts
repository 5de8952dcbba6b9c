// A second handoff, to hold the toolkit to being generic: how many hops away each node of
// a network was last heard, `hops/hops.json` beside the database. Entries are
// `{"node":"gw-3","hops":2}`: a name of 1 to 32 characters [a-z0-9-] and a count 0 to 255.
// Defined twice over the same file: plain (an object per entry) and packed (a codec).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineHandoff, type Handoff } from '../src/index.js';
import type { EntryCodec, SpanSink } from '../src/packed/index.js';

export type Hops = { node: string; hops: number };

const hopsSchema: z.ZodType<Hops> = z.object({
  node: z.string().regex(/^[a-z0-9-]{1,32}$/, 'node must be 1 to 32 characters a-z, 0-9 or -'),
  hops: z.number().int().min(0).max(255),
});

const OPEN = Buffer.from('{"node":"');
const MIDDLE = Buffer.from('","hops":');
const isNameByte = (c: number | undefined) => c !== undefined && ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d);
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

function has(bytes: Uint8Array, at: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word[i]) return false;
  return true;
}

/** `{"node":"<name>","hops":<0-255>}` exactly as JSON.stringify writes it; the code is the count. */
function matchHops(bytes: Uint8Array, _view: DataView<ArrayBufferLike>, at: number, sink: SpanSink): number {
  if (!has(bytes, at, OPEN)) return -1;
  const keyStart = at + OPEN.length;
  let p = keyStart;
  while (isNameByte(bytes[p])) p++;
  const keyEnd = p;
  if (keyEnd === keyStart || keyEnd - keyStart > 32 || !has(bytes, p, MIDDLE)) return -1;
  p += MIDDLE.length;
  const digits = p;
  let hops = 0;
  while (isDigit(bytes[p]) && p - digits < 3) hops = hops * 10 + bytes[p++]! - 0x30;
  if (p === digits || isDigit(bytes[p]) || (p - digits > 1 && bytes[digits] === 0x30) || hops > 255 || bytes[p] !== 0x7d) return -1;
  sink.pushSpan(keyStart, keyEnd, hops);
  return p + 1;
}

export const hopsCodec: EntryCodec<Hops> = {
  match: matchHops,
  key: (entry) => entry.node,
  code: (entry) => entry.hops,
  entry: (node, hops) => ({ node, hops }),
};

const location = { dirName: 'hops', fileName: 'hops.json' };
export const plainHops: Handoff<Hops> = defineHandoff({ ...location, entry: hopsSchema });
export const packedHops: Handoff<Hops> = defineHandoff({ ...location, entry: hopsSchema, codec: hopsCodec });
export const both = { plain: plainHops, packed: packedHops } as const;

/** `count` nodes, all `hops` away: a torn mix of two writes would show as two counts. */
export function heard(count: number, hops: number): Hops[] {
  return Array.from({ length: count }, (_, i) => ({ node: `n${i.toString(36)}`, hops }));
}

/** A fresh directory with a database path in it (the database itself is never made). */
export function scratch(): { dir: string; db: string; handoffDir: string; file: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mbcap-handoff-'));
  return {
    dir,
    db: join(dir, 'net.db'),
    handoffDir: join(dir, 'hops'),
    file: join(dir, 'hops', 'hops.json'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or `ms` pass; returns whether it became true. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}
