// Which addresses a flow's HTTP:Request may reach. A flow definition is input,
// not code we wrote: left alone it could read the cloud metadata service (role
// credentials), the Temporal frontend, or anything else on the worker's private
// network. Loopback, link-local, private, shared, unique-local, multicast and
// reserved addresses are refused unless SHARDFLOW_HTTP_ALLOW names them.
import { isIP } from 'node:net';

export const HTTP_ALLOW_ENV = 'SHARDFLOW_HTTP_ALLOW';

interface Range {
  bytes: number[];
  bits: number;
  kind: string;
}

/** IPv4 ranges that are not the public Internet. */
const V4_REFUSED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, '"this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT; holds the Alibaba Cloud metadata service 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (holds the cloud metadata service 169.254.169.254)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6_REFUSED: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local (holds the AWS metadata service fd00:ec2::254)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function v4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address, "::" and a dotted IPv4 tail expanded. */
function v6Bytes(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = v4Bytes(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function bytesOf(ip: string): number[] {
  return isIP(ip) === 4 ? v4Bytes(ip) : v6Bytes(ip);
}

function inRange(bytes: number[], range: Range): boolean {
  if (bytes.length !== range.bytes.length) return false;
  let bits = range.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (range.bytes[i] & mask)) return false;
  }
  return true;
}

const REFUSED: Range[] = [
  ...V4_REFUSED.map(([ip, bits, kind]) => ({ bytes: v4Bytes(ip), bits, kind })),
  ...V6_REFUSED.map(([ip, bits, kind]) => ({ bytes: v6Bytes(ip), bits, kind })),
];

/** The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
function embeddedV4(bytes: number[]): number[] | undefined {
  if (bytes.length !== 16) return undefined;
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return bytes.slice(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  // IPv4-compatible (deprecated ::a.b.c.d), except :: and ::1 themselves.
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12);
  return undefined;
}

export class AddressPolicy {
  private readonly allowed: Range[];

  /** `allow`: IP addresses or CIDR ranges that are reachable although they are not public. */
  constructor(allow: string[] = []) {
    this.allowed = allow.map((entry) => {
      const [ip, bitsText] = entry.split('/');
      const family = isIP(ip);
      const bits = bitsText === undefined ? (family === 4 ? 32 : 128) : Number(bitsText);
      if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
        throw new Error(`${HTTP_ALLOW_ENV}: ${JSON.stringify(entry)} is not an IP address or CIDR range (such as 10.1.0.0/16 or fd12::/64)`);
      }
      return { bytes: bytesOf(ip), bits, kind: 'allowed' };
    });
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): AddressPolicy {
    const list = (env[HTTP_ALLOW_ENV] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return new AddressPolicy(list);
  }

  /** Why `ip` may not be reached ("a loopback address"), or undefined when it may. */
  refusal(ip: string): string | undefined {
    const bytes = bytesOf(ip);
    if (this.allowed.some((r) => inRange(bytes, r))) return undefined;
    const v4 = embeddedV4(bytes);
    if (v4) {
      if (this.allowed.some((r) => inRange(v4, r))) return undefined;
      const inner = REFUSED.find((r) => inRange(v4, r));
      if (inner) return `an IPv6 address carrying the ${inner.kind} IPv4 address ${v4.join('.')}`;
    }
    const range = REFUSED.find((r) => inRange(bytes, r));
    return range ? `a ${range.kind} address` : undefined;
  }
}
