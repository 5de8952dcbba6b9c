import { expectInteger } from './validate.js';

/** Route type, header bits 0-1. Types 0 and 3 carry two transport codes before the path. */
export const ROUTE_TYPE = {
  TRANSPORT_FLOOD: 0,
  FLOOD: 1,
  DIRECT: 2,
  TRANSPORT_DIRECT: 3,
} as const;

export type RouteType = (typeof ROUTE_TYPE)[keyof typeof ROUTE_TYPE];

/**
 * Payload type, header bits 2-5, numbered as the project's DOMAIN.md does. TRACE (8) matters
 * most: its path bytes are SNR values, not node hashes.
 *
 * Firmware `Packet.h` (and CoreScope's decoder) number some differently: 1 RESPONSE, 2 TXT_MSG,
 * 3 ACK, 8 PATH, 9 TRACE, 10 MULTIPART, 11 CONTROL. CoreScope's capability code skips type 8
 * as "TRACE" too, so these stay as DOMAIN.md has them until that is settled.
 */
export const PAYLOAD_TYPE = {
  REQ: 0,
  TXT_MSG: 1,
  ACK: 2,
  PATH: 3,
  ADVERT: 4,
  GRP_TXT: 5,
  GRP_DATA: 6,
  ANON_REQ: 7,
  TRACE: 8,
  MULTIPART: 9,
  RAW_CUSTOM: 15,
} as const;

export type Header = {
  routeType: RouteType;
  /** 0..15; not every value has a name. */
  payloadType: number;
  /** 0..3 */
  payloadVersion: number;
};

export type HeaderInput = {
  routeType: number;
  payloadType: number;
  payloadVersion?: number;
};

const ROUTE_NAMES = ['transport-flood', 'flood', 'direct', 'transport-direct'] as const;
const PAYLOAD_NAMES = new Map<number, string>(Object.entries(PAYLOAD_TYPE).map(([name, code]) => [code, name]));

/** Splits a header byte: `0bVVPPPPRR` (version, payload type, route type). */
export function decodeHeader(byte: number): Header {
  return {
    routeType: (byte & 0x03) as RouteType,
    payloadType: (byte >> 2) & 0x0f,
    payloadVersion: (byte >> 6) & 0x03,
  };
}

/** Builds a header byte; throws when a field is out of range. */
export function encodeHeader(header: HeaderInput): number {
  const routeType = expectInteger('routeType', header.routeType, 0, 3);
  const payloadType = expectInteger('payloadType', header.payloadType, 0, 15);
  const payloadVersion = expectInteger('payloadVersion', header.payloadVersion ?? 0, 0, 3);
  return (payloadVersion << 6) | (payloadType << 2) | routeType;
}

/** Route types 0 and 3 put 4 bytes of transport codes between the header and the path length. */
export function hasTransportCodes(routeType: number): boolean {
  return routeType === ROUTE_TYPE.TRANSPORT_FLOOD || routeType === ROUTE_TYPE.TRANSPORT_DIRECT;
}

/** 'flood', 'direct', … for logs and reports. */
export function routeTypeName(routeType: number): string {
  return ROUTE_NAMES[routeType] ?? `route-${routeType}`;
}

/** 'ADVERT', 'TRACE', … or 'TYPE_<n>' for a number without a name here. */
export function payloadTypeName(payloadType: number): string {
  return PAYLOAD_NAMES.get(payloadType) ?? `TYPE_${payloadType}`;
}
