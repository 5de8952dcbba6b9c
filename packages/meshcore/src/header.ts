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
 * Payload type, header bits 2-5, as firmware `Packet.h` numbers them. Two matter to the
 * capability rules: TRACE (9), whose path bytes are SNR values, not node hashes, and PATH
 * (8), a returned path into which relays write their own hashes.
 */
export const PAYLOAD_TYPE = {
  REQ: 0,
  RESPONSE: 1,
  TXT_MSG: 2,
  ACK: 3,
  ADVERT: 4,
  GRP_TXT: 5,
  GRP_DATA: 6,
  ANON_REQ: 7,
  PATH: 8,
  TRACE: 9,
  MULTIPART: 10,
  CONTROL: 11,
  RAW_CUSTOM: 15,
} as const;

export type PayloadTypeName = keyof typeof PAYLOAD_TYPE;

/** The name of each numbered payload type: `PAYLOAD_TYPE_NAME[9] === 'TRACE'`. */
export const PAYLOAD_TYPE_NAME: Readonly<Partial<Record<number, PayloadTypeName>>> = Object.freeze(
  Object.fromEntries(Object.entries(PAYLOAD_TYPE).map(([name, code]) => [code, name as PayloadTypeName])),
);

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

/** Route types 2 and 3 follow a stored path; 0 and 1 are flooded. */
export function isDirectRoute(routeType: number): boolean {
  return routeType === ROUTE_TYPE.DIRECT || routeType === ROUTE_TYPE.TRANSPORT_DIRECT;
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
  return PAYLOAD_TYPE_NAME[payloadType] ?? `TYPE_${payloadType}`;
}
