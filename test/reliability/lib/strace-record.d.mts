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
export const TRACED_CALLS: string[];
export const TRACE_OPTIONS: string[];
/** Events of the files under `root` (absolute), paths relative to it, in the order strace saw them complete. */
export function parseTrace(text: string, root: string): TraceEvent[];
