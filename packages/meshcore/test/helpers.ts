import * as assert from 'uvu/assert';

/** Asserts that `fn` throws a `kind` whose message names `field` in quotes. */
export function throwsWith(fn: () => unknown, kind: typeof TypeError | typeof RangeError, field: string): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, kind);
    assert.match((error as Error).message, `"${field}"`);
    return;
  }
  assert.unreachable(`expected a ${kind.name} naming "${field}"`);
}
