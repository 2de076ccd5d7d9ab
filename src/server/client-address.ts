/**
 * The client's address, for rate limits and the audit log. Behind `hops` trusted proxies, each
 * appending the address it saw to `X-Forwarded-For`, the client is the entry `hops` places from
 * the right (the TCP peer being the last proxy); entries further left were written by the
 * client and may be forged. With no trusted proxy, the header is ignored. Express's `trust
 * proxy` is set to the same number, so `req.ip` agrees.
 */
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, hops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (hops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded, peer];
  return chain[Math.max(0, chain.length - 1 - hops)]!;
}
