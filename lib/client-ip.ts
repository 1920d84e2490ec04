import net from 'node:net';

/**
 * The key a client's address is counted under by a per-IP limit (login per IP,
 * waiting-room joins per IP, ...). An IPv4 client is its address. An IPv6 client is its
 * /64: one subscriber is routinely given a whole /64 and can rotate through 2^64
 * addresses, so a limit keyed on the full address would not limit it at all.
 * IPv4-mapped IPv6 (`::ffff:203.0.113.7`) counts as the IPv4 address.
 */
export function rateLimitKeyOfIp(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  if (mapped && net.isIPv4(mapped[1])) return mapped[1];
  if (net.isIPv4(trimmed)) return trimmed;
  const plain = trimmed.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not a client
  if (!net.isIPv6(plain)) return trimmed || 'unknown';
  return `${firstHextets(plain, 4).join(':')}::/64`;
}

/** The first `count` 16-bit groups of an IPv6 address, `::` expanded, leading zeros dropped. */
function firstHextets(address: string, count: number): string[] {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::1.2.3.4) is the last two groups.
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.slice(0, count).map((g) => parseInt(g, 16).toString(16));
}
