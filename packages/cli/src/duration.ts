const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration such as `250ms`, `60s`, `5m`, `7d` or `1h30m`; a bare number
 * is seconds. Throws RangeError naming `what` when the text is not a duration.
 */
export function parseDuration(text: string | number, what = 'duration'): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text * 1000;
  } else {
    const trimmed = text.trim().toLowerCase();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === trimmed) {
      return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
    }
  }
  throw new RangeError(`Expected ${what} to be a duration such as 250ms, 60s, 5m, 1h or 7d, got ${JSON.stringify(text)}`);
}

/** A duration for people: `850 ms`, `12.4 s`, `3 min`, `2.5 h`, `3 d`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms * 10) / 10} ms`;
  if (abs < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (abs < 3_600_000) return `${Math.round(ms / 6000) / 10} min`;
  if (abs < 86_400_000) return `${Math.round(ms / 360_000) / 10} h`;
  return `${Math.round(ms / 8_640_000) / 10} d`;
}
