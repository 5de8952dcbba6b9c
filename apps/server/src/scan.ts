// The packet scan's one SELECT: the columns the capability rules read, in order, and which
// rows may cross into JavaScript at all. SQLite reads the header and path-length digits of
// raw_hex; a row that can be neither evidence nor an advert never becomes a string in JavaScript.
import type { ServerDatabase } from './database.js';

/** One scanned row, as `.raw()` gives it, in the order of packetScanSql's columns. */
export type ScanRow = [rawHex: string, payloadType: number | null, decodedJson: string | null, firstSeen: string, pathJson: string | null, rowid: number];

/**
 * True for every row the capability rules can use (docs/capability.md), and for some broken
 * ones, which the accumulator skips and counts as it would unfiltered:
 *
 * - every ADVERT, of any hash size (a kept explanation counts a node's adverts by size):
 *   payload_type 4, or payload_type NULL and header type 4 (header byte 0x10-0x13, 0x50-0x53,
 *   0x90-0x93, 0xD0-0xD3);
 * - every packet whose path-length byte says hash size 2 or 3 (top two bits 01 or 10, so
 *   its first hex digit is 4-9, a or b). The byte sits at offset 1, or at offset 5 after the
 *   transport codes of route types 0 and 3 (header low digit 0, 3, 4, 7, 8, b, c, f).
 *
 * Hex comes in either case, so each class lists both. Of the shapes measured (substr with
 * IN lists, unhex() compared as a blob, instr() on digit strings), GLOB was the cheapest.
 */
export const PACKET_SCAN_FILTER = [
  'payload_type = 4',
  "raw_hex GLOB '?[12569aAdDeE][4-9aAbB]*'",
  "raw_hex GLOB '?[03478bBcCfF]????????[4-9aAbB]*'",
  "(payload_type IS NULL AND raw_hex GLOB '[159dD][0-3]*')",
].join(' OR ');

export type PacketScanOptions = {
  /** Only rows that can be evidence or an advert (PACKET_SCAN_FILTER); false: every row. */
  filter: boolean;
  /** Only rows after a rowid, bound as the one parameter, in rowid order (an incremental reader). */
  afterId?: boolean;
};

/** raw_hex, payload_type, decoded_json, first_seen, path_json (NULL when the column is missing) and rowid: a ScanRow. */
export function packetColumns(source: ServerDatabase): string {
  // The rowid too: a kept piece of evidence names its row
  return `raw_hex, payload_type, decoded_json, first_seen, ${source.hasPathJson ? 'path_json' : 'NULL'}, rowid`;
}

/** The SELECT of packetColumns. */
export function packetScanSql(source: ServerDatabase, options: PacketScanOptions): string {
  const conditions = [];
  if (options.filter) conditions.push(`(${PACKET_SCAN_FILTER})`);
  if (options.afterId) conditions.push('rowid > ?');
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
  return `SELECT ${packetColumns(source)} FROM transmissions${where}${options.afterId ? ' ORDER BY rowid' : ''}`;
}
