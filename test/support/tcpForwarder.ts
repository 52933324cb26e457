// A plain TCP relay: accepts on one address and pipes each connection to
// another, so a server bound to 127.0.0.1 answers on a worker host's veth
// address too. Bytes pass through untouched (gRPC, HTTP, TLS alike).
import * as net from 'node:net';

export interface TcpForwarder {
  /** host:port the relay accepts on. */
  address: string;
  close(): Promise<void>;
}

export async function forwardTcp(listenHost: string, listenPort: number, targetHost: string, targetPort: number): Promise<TcpForwarder> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, targetHost);
    track(inbound);
    track(outbound);
    // Either side's end or error ends the pair, as a direct connection would.
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve());
  });
  return {
    address: `${listenHost}:${(server.address() as net.AddressInfo).port}`,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
