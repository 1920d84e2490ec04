import type http from 'node:http';
import net from 'node:net';

/**
 * The client's address as the gateway can vouch for it. The gateway is the public
 * edge: an X-Forwarded-For a client sends is whatever it chose to write, so it counts
 * only when it came through a proxy listed in TRUSTED_PROXIES (a load balancer in front
 * of several gateways), read right to left like express's `trust proxy`.
 */
export function clientAddressResolver(trustedProxies: string[]) {
  const trusted = new net.BlockList();
  for (const entry of trustedProxies) {
    const [address, bits] = entry.split('/');
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(bits), type);
  }
  const isTrusted = (address: string) => {
    const plain = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
    const type = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : undefined;
    return type !== undefined && trusted.check(plain, type);
  };

  return (req: http.IncomingMessage): string => {
    let client = req.socket.remoteAddress ?? '';
    if (trustedProxies.length === 0) return client;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse();
    for (const hop of hops) {
      if (!isTrusted(client)) break;
      client = hop;
    }
    return client;
  };
}

/** Valid TRUSTED_PROXIES entry: an IP address or a CIDR subnet. */
export function isAddressOrSubnet(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || !net.isIP(address)) return false;
  if (bits === undefined) return true;
  const max = net.isIPv6(address) ? 128 : 32;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}
