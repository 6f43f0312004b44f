import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { statusFor } from '../../system/errors/index.ts';

/**
 * DNS rebinding defence: a page on `evil.example` whose name the attacker re-points at this
 * appliance can make the admin's browser send requests here, but the browser still sends
 * `Host: evil.example`. So only the Host values the admin actually types are served:
 * the configured `[web] hosts`, the listen address, and — when the listener is reachable on
 * loopback — `localhost`, 127.0.0.1 and ::1. When the listener is on every address
 * (0.0.0.0 / ::), the host's own interface addresses count as listen addresses.
 * Anything else is 421 Misdirected Request (RFC 9110 §15.5.20).
 */
export type HostCheck = (hostHeader: string | null) => boolean;

/** Builds the check once (STYLE.md §9) for a listener on `listen` with extra `hosts`. */
export function hostAllowlist(listen: string, hosts: readonly string[], interfaceAddresses: () => string[] = localAddresses): HostCheck {
  const wildcard = listen === '0.0.0.0' || listen === '::';
  const allowed = new Set(hosts.map(normalise));
  if (wildcard) for (const a of interfaceAddresses()) allowed.add(normalise(a));
  else allowed.add(normalise(listen));
  if (wildcard || isLoopback(listen)) for (const n of ['localhost', '127.0.0.1', '::1']) allowed.add(n);
  return (header) => {
    const name = hostOf(header);
    return name !== undefined && allowed.has(name);
  };
}

/** The host part of a Host header (RFC 9110 §7.2: uri-host [ ":" port ]), lower-cased; undefined when malformed. */
export function hostOf(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  return normalise(m[1] ?? m[2]);
}

function normalise(name: string): string {
  const n = name.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  return isIP(n) === 6 ? new URL(`http://[${n}]/`).hostname.replace(/^\[|\]$/g, '') : n;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

/** The 421 reply: not an error of the API, so plain text and no detail. */
export function misdirected(): Response {
  return new Response('misdirected request: this appliance does not answer for that host name\n', {
    status: statusFor('misdirected').http, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' },
  });
}
