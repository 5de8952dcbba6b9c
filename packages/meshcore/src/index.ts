/**
 * @mbcap/meshcore: the MeshCore packet codec (firmware `Packet.h`), pure functions over bytes.
 *
 * Packet:
 *
 *   [header 1][transport codes 4, route types 0 and 3 only][path length 1][path][payload]
 *
 *   header       0bVVPPPPRR: route type R (0 transport-flood, 1 flood, 2 direct,
 *                3 transport-direct), payload type P (firmware numbers: 0 REQ, 1 RESPONSE,
 *                2 TXT_MSG, 3 ACK, 4 ADVERT, 5 GRP_TXT, 6 GRP_DATA, 7 ANON_REQ, 8 PATH,
 *                9 TRACE, 10 MULTIPART, 11 CONTROL, 15 RAW_CUSTOM), version V
 *   transport    two uint16 LE
 *   path length  0bSSCCCCCC: C hops of S+1 bytes each; S = 0b11 is reserved (invalid).
 *                S counts even with zero hops: a flood advert sent with 2-byte hashes
 *                carries 0x40 before any relay; a zero-hop direct send (route 2 or 3)
 *                carries 0x00 whatever its sender's setting, so its S says nothing.
 *   path         hop hashes (node public-key prefixes); for TRACE, SNR values instead
 *
 * TRACE payload (sent direct):
 *
 *   [tag uint32][auth code uint32][flags 1: low 2 bits = w, hashes are 1 << w bytes]
 *   [hashes of the nodes to trace, to the end]
 *
 * ADVERT payload:
 *
 *   [public key 32][timestamp uint32 LE][Ed25519 signature 64][flags 1]
 *   [lat int32 LE, lon int32 LE: millionths of a degree, if flags & 0x10]
 *   [feature 1 uint16 LE, if 0x20][feature 2 uint16 LE, if 0x40][name UTF-8 to end or NUL, if 0x80]
 *
 *   flags & 0x0f is the node type: 1 companion, 2 repeater, 3 room, 4 sensor.
 *
 * packetHash is the content hash CoreScope stores in `transmissions.hash` (header byte and
 * payload, never the path).
 *
 * Decoders return null for malformed input and never throw; encoders throw TypeError or
 * RangeError naming the bad field. Hex out is lowercase; hex in may be either case.
 */
export { decodeAdvert, advertRole, ADVERT_FIXED_SIZE, ADVERT_FLAG, ADVERT_TYPE } from './advert.js';
export type { Advert, AdvertRole } from './advert.js';
export { encodeAdvert } from './advert-encode.js';
export type { AdvertInput } from './advert-encode.js';
export {
  decodeHeader,
  encodeHeader,
  hasTransportCodes,
  isDirectRoute,
  payloadTypeName,
  routeTypeName,
  PAYLOAD_TYPE,
  PAYLOAD_TYPE_NAME,
  ROUTE_TYPE,
} from './header.js';
export type { Header, HeaderInput, PayloadTypeName, RouteType } from './header.js';
export { packetHash } from './hash.js';
export { fromHex, isHex, toHex } from './hex.js';
export { decodePacket, encodePacket } from './packet.js';
export type { DecodedPacket, PacketInput } from './packet.js';
export { decodePathLength, encodePathLength, MAX_HOPS } from './path.js';
export type { PathLength } from './path.js';
export { peekPacket, peekHops, peekPayload } from './peek.js';
export type { PacketPeek } from './peek.js';
