import type { TraceEvent } from './strace-record.mjs';

export type CrashState = { point: number; choice: string; files: Map<string, Buffer> };
/** The bytes a torn write of `length` bytes leaves. */
export function tornLength(length: number): number;
/** Every state a power cut may leave at each point of `events` (see the module comment). */
export function crashStates(
  events: TraceEvent[],
  initial: { files: Map<string, Buffer>; dirs: string[] },
  options?: { perPoint?: number; random?: () => number; omit?: (name: string) => boolean },
): Generator<CrashState>;
/** `events` without the syncs `drop(event)` chooses. */
export function withoutSyncs(events: TraceEvent[], drop: (event: TraceEvent & { op: 'sync' }) => boolean): TraceEvent[];
