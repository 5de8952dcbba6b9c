// The checksum (and signature) of a large document, computed on a helper thread while the
// writer's own thread checks the entries: the entries lie in shared memory, so nothing is
// copied. The thread keeps the hash open until it is given the trailer, then returns the
// sha256 of the whole file as well, without hashing the bulk twice.
//
// One thread per process, started on first use and referenced only while it has work, so
// it never keeps a process alive. If it fails, callers fall back to hashing in place.
import { Worker } from 'node:worker_threads';
import type { HmacKey } from './integrity.js';

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash, createHmac } = require('node:crypto');
const open = new Map();
parentPort.on('message', (m) => {
  try {
    if (m.type === 'covered') {
      const hash = createHash('sha256');
      const hmac = m.key === undefined ? null : createHmac('sha256', m.key);
      for (const part of m.parts) {
        hash.update(part);
        if (hmac) hmac.update(part);
      }
      open.set(m.id, hash);
      parentPort.postMessage({ id: m.id, checksum: hash.copy().digest('hex'), signature: hmac ? hmac.digest('hex') : null });
    } else {
      const hash = open.get(m.id);
      open.delete(m.id);
      if (m.trailer) parentPort.postMessage({ id: m.id, contentHash: hash.update(m.trailer).digest('hex') });
    }
  } catch (error) {
    open.delete(m.id);
    parentPort.postMessage({ id: m.id, error: String(error && error.message || error) });
  }
});
`;

type Reply = { id: number; checksum?: string; signature?: string | null; contentHash?: string; error?: string };

let worker: Worker | null = null;
let failed = false;
let nextId = 1;
const waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

function thread(): Worker | null {
  if (failed) return null;
  if (worker) return worker;
  try {
    worker = new Worker(SOURCE, { eval: true });
  } catch {
    failed = true;
    return null;
  }
  worker.unref();
  worker.on('message', (reply: Reply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) worker?.unref();
    if (reply.error !== undefined) w?.reject(new Error(reply.error));
    else w?.resolve(reply);
  });
  const fail = (error: Error) => {
    failed = true;
    worker = null;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`digest thread exited with code ${code}`)));
  return worker;
}

function request(message: Record<string, unknown>, expectReply: boolean): Promise<Reply> {
  const w = thread();
  if (!w) return Promise.reject(new Error('no digest thread'));
  const id = message.id as number;
  const reply = expectReply ? new Promise<Reply>((resolve, reject) => waiting.set(id, { resolve, reject })) : Promise.resolve({ id });
  if (expectReply) w.ref();
  w.postMessage(message);
  return reply;
}

export type OffThreadDigest = {
  /** The sha256 (and HMAC) of the covered bytes. */
  covered: Promise<{ checksum: string; signature: string | null }>;
  /** Adds the trailer and gives the sha256 of the whole file; or drops the hash (null). */
  finish(trailer: Buffer | null): Promise<string | null>;
};

/**
 * Starts hashing `head` then `entries` (which must lie in a SharedArrayBuffer) on the
 * helper thread; null when there is no such thread.
 */
export function digestOffThread(head: Buffer, entries: Buffer, key: HmacKey | undefined): OffThreadDigest | null {
  if (!(entries.buffer instanceof SharedArrayBuffer) || !thread()) return null;
  const id = nextId++;
  const covered = request({ id, type: 'covered', parts: [head, entries], key }, true).then((r) => ({ checksum: r.checksum!, signature: r.signature ?? null }));
  covered.catch(() => {});
  return {
    covered,
    finish: async (trailer) => {
      await covered;
      if (!trailer) {
        await request({ id, type: 'finish', trailer: null }, false);
        return null;
      }
      return (await request({ id, type: 'finish', trailer }, true)).contentHash!;
    },
  };
}

/** A buffer of `size` bytes in shared memory, for entries the helper thread will hash. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}
