/** Path of a cached database with `nodes` nodes and `packets` transmissions (built if missing). */
export function meshDb(options: { nodes: number; packets: number; seed?: number }): string;
