// Argument checks for the encoders: misuse throws, naming the field and what was expected.

/** Throws TypeError when `value` is not an integer, RangeError when it is outside min..max. */
export function expectInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Expected "${field}" to be an integer ${min}..${max}, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`Expected "${field}" to be an integer ${min}..${max}, got ${value}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
