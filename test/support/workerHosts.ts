// Worker "hosts" on one machine: each a network namespace `sfhost<i>` joined
// to the machine by a veth pair, host side 198.18.<i>.1/30 (`sfhost<i>-host`),
// namespace side 198.18.<i>.2/30 (`sfhost<i>-ns`). 198.18.0.0/15 is the
// benchmarking range, so nothing here collides with a real network. A process
// run in a host reaches the machine only at 198.18.<i>.1, and taking the host
// side's link down cuts it off as a pulled cable would. Needs root.
//
// Also a command, for a shell or after a crashed test:
//   node dist/test/support/workerHosts.js up N | down | status
import { execFileSync } from 'node:child_process';

const PREFIX = 'sfhost';

export interface WorkerHost {
  index: number;
  namespace: string;
  /** The veth end on the machine's side; its link going down cuts the host off. */
  hostLink: string;
  /** The machine's address as the host sees it: servers are forwarded here. */
  gateway: string;
  /** The host's own address. */
  address: string;
  /** Prefix for a command to run inside the host. */
  exec: string[];
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function workerHost(index: number): WorkerHost {
  if (!Number.isInteger(index) || index < 1 || index > 255) throw new Error(`worker host ${index}: the index must be 1-255 (it is the third octet of 198.18.<i>.0/30)`);
  const namespace = `${PREFIX}${index}`;
  return {
    index,
    namespace,
    hostLink: `${namespace}-host`,
    gateway: `198.18.${index}.1`,
    address: `198.18.${index}.2`,
    exec: ['ip', 'netns', 'exec', namespace],
  };
}

/** The namespaces this module made and that still exist. */
export function existingHosts(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => new RegExp(`^${PREFIX}\\d+$`).test(n));
}

/**
 * Hosts first..first+n-1, each with its namespace, veth pair, addresses and loopback up. Removes leftovers in
 * that range first, and leaves other hosts alone: two suites side by side use ranges of their own.
 */
export function hostsUp(n: number, first = 1): WorkerHost[] {
  const indices = Array.from({ length: n }, (_, i) => first + i);
  hostsDown(indices);
  const hosts: WorkerHost[] = [];
  for (const i of indices) {
    const h = workerHost(i);
    const inside = `${h.namespace}-ns`;
    ip(['netns', 'add', h.namespace]);
    ip(['link', 'add', h.hostLink, 'type', 'veth', 'peer', 'name', inside]);
    ip(['link', 'set', inside, 'netns', h.namespace]);
    ip(['addr', 'add', `${h.gateway}/30`, 'dev', h.hostLink]);
    ip(['link', 'set', h.hostLink, 'up']);
    ip(['-n', h.namespace, 'addr', 'add', `${h.address}/30`, 'dev', inside]);
    ip(['-n', h.namespace, 'link', 'set', inside, 'up']);
    ip(['-n', h.namespace, 'link', 'set', 'lo', 'up']);
    hosts.push(h);
  }
  return hosts;
}

/**
 * Removes the sfhost namespaces and host-side veths with these indices (all of them when none are given), also
 * those a crashed test left; does nothing when there are none. Processes still inside a host (workers a killed
 * test left behind) are killed by pid first: a namespace lives on, veth and all, while a process is in it.
 */
export function hostsDown(indices?: number[]): void {
  const mine = (name: string): boolean => indices === undefined || indices.includes(Number(/\d+/.exec(name)![0]));
  for (const ns of existingHosts().filter(mine)) {
    const pids = ip(['netns', 'pids', ns]).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // Deleting the namespace's last reference deletes its veth end, and with it the pair.
    ip(['netns', 'delete', ns]);
  }
  for (const link of hostLinks().filter(mine)) {
    try {
      ip(['link', 'delete', link]);
    } catch (err) {
      // The pair may go on its own meanwhile, as its namespace ends.
      if (hostLinks().includes(link)) throw err;
    }
  }
}

/** Host-side veth ends this module made that still exist. */
function hostLinks(): string[] {
  return ip(['-o', 'link', 'show'])
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((name): name is string => !!name && new RegExp(`^${PREFIX}\\d+-host$`).test(name));
}

/** Cuts the host off (down) or reconnects it (up) at the machine's end of its veth pair. */
export function setLink(host: WorkerHost, state: 'up' | 'down'): void {
  ip(['link', 'set', host.hostLink, state]);
}

export function hostsStatus(): string {
  return existingHosts()
    .map((ns) => {
      const h = workerHost(Number(ns.slice(PREFIX.length)));
      const state = /state (\w+)/.exec(ip(['-o', 'link', 'show', h.hostLink]))?.[1] ?? 'missing';
      return `${ns}  ${h.address} via ${h.gateway}  link ${state}`;
    })
    .join('\n');
}

if (require.main === module) {
  const [command, count] = process.argv.slice(2);
  if (command === 'up') {
    for (const h of hostsUp(Number(count ?? 2))) console.log(`${h.namespace}  ${h.address} via ${h.gateway}`);
  } else if (command === 'down') {
    hostsDown();
  } else if (command === 'status') {
    console.log(hostsStatus() || 'no worker hosts');
  } else {
    console.error('usage: node dist/test/support/workerHosts.js up N | down | status');
    process.exit(2);
  }
}
