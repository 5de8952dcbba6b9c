// Adoption over time: how many nodes were confirmed and suspected at the end of each day,
// from the day of each node's first multi-byte evidence in every packet stored (not only the
// analysis window's: a node that adopted a month ago did so a month ago). The cycle notes
// those first times as it reads the packets (kept.ts, evidence.ts), so an answer is one pass
// over the nodes, never over the packets. Pure: the kept state in, the series out.
import type { KeptEvidence } from './kept.js';

const DAY_MS = 86_400_000;

export type Adoption = {
  /** UTC days, oldest first: from the first evidence's day to the cycle's. */
  days: string[];
  /** Nodes with a multi-byte advert by the end of each day. */
  confirmed: number[];
  /** Nodes named by a multi-byte hop by the end of each day, and not confirmed by then. */
  suspected: number[];
};

const cache = new WeakMap<KeptEvidence, Adoption>();

export function adoptionOf(kept: KeptEvidence): Adoption {
  let adoption = cache.get(kept);
  if (adoption === undefined) {
    adoption = computeAdoption(kept);
    cache.set(kept, adoption);
  }
  return adoption;
}

function computeAdoption(kept: KeptEvidence): Adoption {
  const n = kept.keys.length;
  const last = dayOf(kept.computedAt);
  let first = last;
  for (let i = 0; i < n; i++) first = Math.min(first, dayOf(kept.firstAdvert[i]!), dayOf(kept.firstPath[i]!));
  const length = last - first + 1;

  // Nodes that turn confirmed, and that turn suspected, on each day; a node suspected
  // before it was confirmed leaves the suspected count on its day of confirmation
  const toConfirmed = new Int32Array(length);
  const toSuspected = new Int32Array(length);
  // A first_seen ahead of the cycle's clock counts on the last day
  const at = (time: number) => (time === Number.POSITIVE_INFINITY ? length : Math.min(length - 1, Math.max(0, dayOf(time) - first)));
  for (let i = 0; i < n; i++) {
    const advert = kept.firstAdvert[i]!;
    const path = kept.firstPath[i]!;
    const confirmedOn = at(advert);
    const suspectedOn = at(path);
    if (confirmedOn < length) toConfirmed[confirmedOn]!++;
    if (suspectedOn < confirmedOn) {
      toSuspected[suspectedOn]!++;
      if (confirmedOn < length) toSuspected[confirmedOn]!--;
    }
  }

  const days: string[] = [];
  const confirmed: number[] = [];
  const suspected: number[] = [];
  let c = 0;
  let s = 0;
  for (let d = 0; d < length; d++) {
    c += toConfirmed[d]!;
    s += toSuspected[d]!;
    days.push(new Date((first + d) * DAY_MS).toISOString().slice(0, 10));
    confirmed.push(c);
    suspected.push(s);
  }
  return { days, confirmed, suspected };
}

/** Days since the epoch (UTC). */
function dayOf(time: number): number {
  return Math.floor(time / DAY_MS);
}
