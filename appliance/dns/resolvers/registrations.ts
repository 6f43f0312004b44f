import type { DnsContext } from '../context.ts';
import { existsHere, positive, type Resolver } from '../handler.ts';
import { TYPE, type ResourceRecord } from '../records.ts';

/**
 * Names published by registrations: `<extension>.<zone>` A/AAAA → the registered phones'
 * addresses, and PTR from their reverse names back to `<extension>.<zone>`. A binding that
 * expires or is removed takes its names with it (the location view is read live).
 */
export function registrationsResolver(ctx: DnsContext): Resolver {
  const suffix = `.${ctx.zones.office}`;
  return (next) => async (req) => {
    const { name, type } = req.question;
    const ttl = ctx.config.dns.ttl;
    if (name.endsWith(suffix)) {
      const ext = name.slice(0, -suffix.length);
      if (ext.includes('.') || ext === '') return next(req);
      const { v4, v6 } = ctx.registrations.addresses(ext);
      if (v4.length + v6.length === 0) return next(req);
      const rrs: ResourceRecord[] = type === TYPE.A ? v4.map((address) => ({ name, ttl, type: 'A', address }))
        : type === TYPE.AAAA ? v6.map((address) => ({ name, ttl, type: 'AAAA', address })) : [];
      return rrs.length > 0 ? positive(rrs) : existsHere(await next(req));
    }
    if (name.endsWith('.arpa')) {
      const exts = ctx.registrations.extensionsAt(name);
      if (exts.length === 0) return next(req);
      if (type !== TYPE.PTR) return existsHere(await next(req));
      return positive(exts.map((e) => ({ name, ttl, type: 'PTR', target: `${e.toLowerCase()}${suffix}` })));
    }
    return next(req);
  };
}
