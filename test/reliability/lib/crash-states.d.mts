export type TraceEvent =
  | { op: 'create'; path: string; fd: number; trunc: boolean }
  | { op: 'open'; path: string; fd: number; trunc: boolean }
  | { op: 'write'; path: string; fd: number; offset: number; bytes: Buffer; deleted: boolean }
  | { op: 'truncate'; path: string; fd: number; size: number; deleted: boolean }
  | { op: 'sync'; path: string; fd: number; deleted: boolean }
  | { op: 'rename'; from: string; to: string }
  | { op: 'unlink'; path: string }
  | { op: 'mkdir'; path: string }
  | { op: 'output'; pid: number; fd: number; text: string };
export type CrashState = { point: number; choice: string; files: Map<string, Buffer> };
export const TRACED_CALLS: string[];
export const TRACE_OPTIONS: string[];
/** Events of the files under `root` (absolute), paths relative to it, in the order strace saw them complete. */
export function parseTrace(text: string, root: string): TraceEvent[];
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
