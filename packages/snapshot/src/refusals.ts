// Why the ingestor refused a snapshot file: the codes of `mbcap_refusals.code`, which the
// ingestor writes and the server counts. A file it could not use (SnapshotError codes;
// NOT_FOUND is absence, not a refusal), or a good file it would not apply: FUTURE (written
// too far ahead of its clock) and STALE (older than the last snapshot applied).
import { SNAPSHOT_ERROR_CODES, type SnapshotErrorCode } from '@mbcap/handoff';

export type RefusalCode = Exclude<SnapshotErrorCode, 'NOT_FOUND'> | 'FUTURE' | 'STALE';

export const REFUSAL_CODES: readonly RefusalCode[] = [
  ...SNAPSHOT_ERROR_CODES.filter((code): code is Exclude<SnapshotErrorCode, 'NOT_FOUND'> => code !== 'NOT_FOUND'),
  'FUTURE',
  'STALE',
];
