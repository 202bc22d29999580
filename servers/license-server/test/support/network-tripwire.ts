import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * A tripwire under every socket: a connection to anything but loopback throws before a packet
 * leaves, so a guard that fails to refuse fails this test instead of reaching the network.
 */
export function installTripwire(): () => void {
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string } | number | string;
    const host = typeof first === 'object' && first !== null ? (first.host ?? 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
    if (!LOOPBACK.has(host)) throw new Error(`tripwire: a connection to ${host} was attempted`);
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  return () => {
    net.Socket.prototype.connect = original;
  };
}
