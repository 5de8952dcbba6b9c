// A node's multi-byte capability: what the server computes, the snapshot carries and the
// database stores. The one definition; the server, the ingestor, the generator and the
// demo take it from here.

/** What is known of a node's multi-byte support, strongest first. */
export const MULTIBYTE_STATUSES = ['confirmed', 'suspected', 'unknown'] as const;
/** Why: its own multi-byte adverts, or its key's prefix as a hop of a multi-byte path. */
export const MULTIBYTE_EVIDENCE = ['advert', 'path'] as const;

export type MultibyteStatus = (typeof MULTIBYTE_STATUSES)[number];
export type MultibyteEvidence = (typeof MULTIBYTE_EVIDENCE)[number];

/** The `multibyte_sup` column's value for each status. */
export const MULTIBYTE_SUP = { unknown: 0, suspected: 1, confirmed: 2 } as const satisfies Record<MultibyteStatus, number>;

/** The status of each `multibyte_sup` value, indexed by it (0 unknown, 1 suspected, 2 confirmed). */
export const STATUS_OF_SUP = ['unknown', 'suspected', 'confirmed'] as const satisfies readonly MultibyteStatus[];

/** The status a stored `multibyte_sup` says: anything but 1 or 2 (0, NULL, a stray value) is unknown. */
export function statusOfSup(sup: number | null | undefined): MultibyteStatus {
  return STATUS_OF_SUP[sup === 1 || sup === 2 ? sup : 0];
}
