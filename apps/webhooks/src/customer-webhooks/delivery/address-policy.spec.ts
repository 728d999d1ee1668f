import { categorize, checkCustomerWebhookUrl, classifyAddress } from './address-policy';

describe('customer webhook address policy', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['64:ff9b::a00:1', 'ipv4_embedding'],
    ['2002:a00:1::1', 'ipv4_embedding'],
    ['2001:0:4136:e378::1', 'ipv4_embedding'],
    ['::10.0.0.1', 'ipv4_embedding'],
    ['not-an-ip', 'invalid'],
    ['999.1.1.1', 'invalid'],
  ])('%s is %s', (address, category) => {
    expect(categorize(address)).toBe(category);
    expect(classifyAddress(address, false)).toEqual({ allowed: false, category });
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4009:81f::200e',
    '::ffff:8.8.8.8',
  ])('%s (globally routable) is allowed', (address) => {
    expect(categorize(address)).toBeNull();
    expect(classifyAddress(address, false)).toEqual({ allowed: true });
  });

  it('allows loopback, and only loopback, when the development setting is on', () => {
    expect(classifyAddress('127.0.0.1', true)).toEqual({ allowed: true });
    expect(classifyAddress('::1', true)).toEqual({ allowed: true });
    expect(classifyAddress('::ffff:127.0.0.1', true)).toEqual({ allowed: true });
    expect(classifyAddress('10.0.0.1', true)).toEqual({ allowed: false, category: 'private' });
    expect(classifyAddress('169.254.169.254', true)).toEqual({ allowed: false, category: 'metadata' });
    expect(classifyAddress('fd00:ec2::254', true)).toEqual({ allowed: false, category: 'metadata' });
    expect(classifyAddress('0.0.0.0', true)).toEqual({ allowed: false, category: 'unspecified' });
  });

  it('accepts only https in production and never credentials in the URL', () => {
    expect(checkCustomerWebhookUrl('https://example.com/hook', { httpsOnly: true }).ok).toBe(true);
    expect(checkCustomerWebhookUrl('http://example.com/hook', { httpsOnly: true })).toEqual({
      ok: false,
      reason: expect.stringContaining('scheme http: is not allowed'),
    });
    expect(checkCustomerWebhookUrl('http://example.com/hook', { httpsOnly: false }).ok).toBe(true);
    expect(checkCustomerWebhookUrl('ftp://example.com/', { httpsOnly: false }).ok).toBe(false);
    expect(checkCustomerWebhookUrl('file:///etc/passwd', { httpsOnly: false }).ok).toBe(false);
    expect(checkCustomerWebhookUrl('https://user:pw@example.com/', { httpsOnly: true }).ok).toBe(false);
    expect(checkCustomerWebhookUrl('not a url', { httpsOnly: false }).ok).toBe(false);
  });
});
