/** The unseeded FNV-1a the old key index used. */
export function oldHash(key: string): number;
/** `count` distinct 64-character hex keys whose old hashes agree in the low 22 bits; `tag` (hex) starts each. */
export function collidingKeys(count: number, tag?: string): string[];
/** `count` random 64-character hex keys. */
export function randomKeys(count: number, tag?: string): string[];
