import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * The client's address travels from the gateway (the only edge, services/gateway/
 * client-address.ts decides it) to the services in X-Client-Address, with an HMAC of
 * it in X-Client-Address-Signature under CLIENT_ADDRESS_SECRET, which only the gateway
 * and the services hold. A service believes the header only when the signature is
 * right; any other caller of its port (on one machine every caller is 127.0.0.1, so an
 * address list cannot tell the gateway apart) is the address of its own socket, and
 * X-Forwarded-For is never read.
 */
export const CLIENT_ADDRESS_HEADER = 'x-client-address';
export const CLIENT_ADDRESS_SIGNATURE_HEADER = 'x-client-address-signature';

export function signClientAddress(secret: string, address: string): string {
  return createHmac('sha256', secret).update(`client-address:${address}`).digest('base64url');
}

/** The address the gateway vouched for, or undefined when the headers are missing or not signed with `secret`. */
export function vouchedClientAddress(secret: string | undefined, address: unknown, signature: unknown): string | undefined {
  if (!secret || typeof address !== 'string' || typeof signature !== 'string' || address.length > 64) return undefined;
  const expected = Buffer.from(signClientAddress(secret, address));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? address : undefined;
}

/** The client of a request with these headers: the address the gateway vouched for, else the connecting peer. */
export function clientAddressOf(secret: string | undefined, headers: IncomingHttpHeaders, peerAddress: string | undefined): string | undefined {
  return vouchedClientAddress(secret, headers[CLIENT_ADDRESS_HEADER], headers[CLIENT_ADDRESS_SIGNATURE_HEADER]) ?? peerAddress;
}

/** Express middleware: `req.ip` is the vouched-for client address, else the socket's peer. */
export function clientAddressFromEdge(secret: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const ip = clientAddressOf(secret, req.headers, req.socket.remoteAddress);
    Object.defineProperty(req, 'ip', { value: ip, configurable: true, enumerable: true });
    next();
  };
}
