import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a customer webhook may connect to. Customer URLs are an
 * SSRF risk, so this is checked on the address actually connected to (the
 * guarded DNS lookup, and IP-literal hosts), never only on the URL string.
 *
 * Deny-list of every non-global range (IANA special-purpose registries),
 * with node's BlockList, which also matches IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`) against the IPv4 rules. IPv6 forms that embed or
 * translate to an IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible) are
 * denied outright: their IPv4 side could be internal.
 */
export type AddressCategory =
  | 'metadata'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'ipv4_embedding'
  | 'invalid';

export type AddressVerdict = { allowed: true } | { allowed: false; category: AddressCategory };

type Rule = [address: string, prefix: number, family: 'ipv4' | 'ipv6'];

const RULES: Record<Exclude<AddressCategory, 'invalid'>, Rule[]> = {
  // Cloud instance metadata: AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba.
  metadata: [
    ['169.254.169.254', 32, 'ipv4'],
    ['fd00:ec2::254', 128, 'ipv6'],
    ['100.100.100.200', 32, 'ipv4'],
  ],
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
    ['fec0::', 10, 'ipv6'], // deprecated site-local
  ],
  link_local: [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  cgnat: [['100.64.0.0', 10, 'ipv4']],
  unspecified: [
    ['0.0.0.0', 8, 'ipv4'],
    ['::', 128, 'ipv6'],
  ],
  multicast: [
    ['224.0.0.0', 4, 'ipv4'],
    ['ff00::', 8, 'ipv6'],
  ],
  reserved: [
    ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
    ['192.0.2.0', 24, 'ipv4'], // TEST-NET-1
    ['198.18.0.0', 15, 'ipv4'], // benchmarking
    ['198.51.100.0', 24, 'ipv4'], // TEST-NET-2
    ['203.0.113.0', 24, 'ipv4'], // TEST-NET-3
    ['240.0.0.0', 4, 'ipv4'], // reserved + 255.255.255.255 broadcast
    ['100::', 64, 'ipv6'], // discard
    ['2001:db8::', 32, 'ipv6'], // documentation
  ],
  ipv4_embedding: [
    ['192.88.99.0', 24, 'ipv4'], // 6to4 relay anycast
    ['::', 96, 'ipv6'], // IPv4-compatible (deprecated)
    ['64:ff9b::', 96, 'ipv6'], // NAT64
    ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
    ['2002::', 16, 'ipv6'], // 6to4
    ['2001::', 32, 'ipv6'], // Teredo
  ],
};

// Order matters: the first matching category is the one reported.
const LISTS = (Object.keys(RULES) as (keyof typeof RULES)[]).map((category) => {
  const list = new BlockList();
  for (const [address, prefix, family] of RULES[category]) list.addSubnet(address, prefix, family);
  return { category, list };
});

/** The category of an IP address string (v4 or v6, brackets allowed), or null when globally routable. */
export function categorize(address: string): AddressCategory | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { category, list } of LISTS) {
    if (list.check(bare, type)) return category;
  }
  return null;
}

/** May a webhook connect to this address? Loopback only when the development setting allows it. */
export function classifyAddress(address: string, allowLoopback: boolean): AddressVerdict {
  const category = categorize(address);
  if (category === null) return { allowed: true };
  if (category === 'loopback' && allowLoopback) return { allowed: true };
  return { allowed: false, category };
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** Scheme and shape of a webhook URL (the address is checked later, at connect time). */
export function checkCustomerWebhookUrl(raw: string, opts: { httpsOnly: boolean }): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  const allowed = opts.httpsOnly ? ['https:'] : ['https:', 'http:'];
  if (!allowed.includes(url.protocol)) {
    return { ok: false, reason: `scheme ${url.protocol} is not allowed (only ${allowed.join(', ')})` };
  }
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
  if (!url.hostname) return { ok: false, reason: 'URL has no host' };
  return { ok: true, url };
}
