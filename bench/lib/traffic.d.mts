import type { Rng } from '@mbcap/meshgen';

/** Ordinary 1-byte traffic of `keys` (64-hex public keys): each call gives one import line. */
export function ordinaryTraffic(keys: readonly string[], rng: Rng): (now?: Date) => string;
/** A node no database holds (a random key) and its 2-byte flood ADVERT, as one import line. */
export function newNodeAdvert(rng: Rng, name: string, now?: Date): { key: string; line: string };
