import { parseSipUri } from '../message/uri.ts';

/** The extension a URI of our domain names (`sip:202@office.lan`), or undefined (another domain, no such extension). */
export function extensionOfUri(uri: string, localHosts: ReadonlySet<string>, exists: (n: string) => boolean): string | undefined {
  const u = parseSipUri(uri);
  if (!u?.user || !localHosts.has(u.host.toLowerCase())) return undefined;
  return exists(u.user) ? u.user : undefined;
}
