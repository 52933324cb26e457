// Which addresses a flow's HTTP:Request may reach, and what it redacts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPolicy } from '../../src/activities/httpAddressPolicy';
import { Redactor } from '../../src/activities/httpRedaction';

describe('HTTP address policy', () => {
  const policy = new AddressPolicy();

  it('refuses loopback, link-local, private, shared, unique-local, metadata and reserved addresses', () => {
    const refused: Array<[string, RegExp]> = [
      ['127.0.0.1', /loopback/],
      ['127.255.0.9', /loopback/],
      ['0.0.0.0', /this network/],
      ['10.1.2.3', /private/],
      ['172.16.0.1', /private/],
      ['172.31.255.255', /private/],
      ['192.168.1.1', /private/],
      ['169.254.169.254', /link-local.*metadata/],
      ['100.100.100.200', /shared.*metadata/],
      ['224.0.0.1', /multicast/],
      ['255.255.255.255', /reserved/],
      ['::1', /loopback/],
      ['::', /unspecified/],
      ['fe80::1', /link-local/],
      ['fd00:ec2::254', /unique-local/],
      ['fc12:3456::1', /unique-local/],
      ['::ffff:127.0.0.1', /loopback IPv4 address 127\.0\.0\.1/],
      ['::ffff:a9fe:a9fe', /link-local.*169\.254\.169\.254/],
      ['64:ff9b::a00:1', /private IPv4 address 10\.0\.0\.1/],
      ['2002:c0a8:0101::1', /private IPv4 address 192\.168\.1\.1/],
    ];
    for (const [ip, reason] of refused) assert.match(policy.refusal(ip) ?? 'allowed', reason, ip);
  });

  it('lets public addresses through', () => {
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '1.1.1.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(policy.refusal(ip), undefined, ip);
  });

  it('reaches what the allow-list names, and only that', () => {
    const allowing = new AddressPolicy(['127.0.0.1', '10.20.0.0/16', 'fd12::/64']);
    assert.equal(allowing.refusal('127.0.0.1'), undefined);
    assert.equal(allowing.refusal('::ffff:127.0.0.1'), undefined);
    assert.equal(allowing.refusal('10.20.5.5'), undefined);
    assert.equal(allowing.refusal('fd12::9'), undefined);
    assert.match(allowing.refusal('127.0.0.2') ?? '', /loopback/);
    assert.match(allowing.refusal('10.21.0.1') ?? '', /private/);
    assert.match(allowing.refusal('169.254.169.254') ?? '', /link-local/);
    assert.throws(() => new AddressPolicy(['example.com']), /SHARDFLOW_HTTP_ALLOW: "example.com" is not an IP address or CIDR range/);
    assert.throws(() => new AddressPolicy(['10.0.0.0/33']), /not an IP address or CIDR/);
  });
});

describe('HTTP redaction', () => {
  it('replaces credential headers, credential fields and echoed secret values', () => {
    const r = new Redactor(['s3cr3t-token-value', 'tiny']);
    assert.deepEqual(r.headers({ 'set-cookie': 'sid=1', 'x-api-key': 'k', 'content-type': 'text/plain', 'x-echo': 'got s3cr3t-token-value' }), {
      'set-cookie': '[redacted]',
      'x-api-key': '[redacted]',
      'content-type': 'text/plain',
      'x-echo': 'got [redacted]',
    });
    assert.deepEqual(r.body({ access_token: 'abc', user: { password: 'p', name: 'n' }, list: ['s3cr3t-token-value'], author: 'a' }), {
      access_token: '[redacted]',
      user: { password: '[redacted]', name: 'n' },
      list: ['[redacted]'],
      author: 'a',
    });
    assert.equal(r.text('tiny words stay'), 'tiny words stay', 'values too short to be secrets are left alone');
  });
});
