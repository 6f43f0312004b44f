/**
 * Joining our History-Info entries (RFC 7044) to those a request already carries: a caller's
 * own, or ours from an earlier retargeting of the same request (a 3xx we recursed on). The
 * entries we make for a retargeted request start with the Request-URI it arrived with
 * (index 1); in the joined header that entry is the request's last one when it names the same
 * AOR (RFC 7044 §9.1: a proxy adds an entry for the received R-URI only when it is missing),
 * and every index of ours continues under it, `mp` following.
 */
import { parseSipUri, uriUser } from '../message/uri.ts';

/** One hi-entry: the URI in angle brackets and the text after it (its header parameters). */
interface Entry {
  readonly uri: string;
  readonly params: string;
}

/** The entries of a History-Info value (comma-separated name-addrs; commas inside `<>` are the URI's). */
function entries(value: string): Entry[] {
  const out: Entry[] = [];
  for (const m of value.matchAll(/\s*(?:"[^"]*"\s*)?<([^>]*)>([^,]*)/g)) out.push({ uri: m[1], params: m[2].trim() });
  return out;
}

const indexOf = (e: Entry) => /(?:^|;)\s*index=([0-9.]+)/.exec(e.params)?.[1];

/**
 * user@host of a URI, lower-cased, without parameters or port: "the same AOR" for the
 * comparison. Read with the SIP grammar (message/uri.ts); a URI it does not parse compares whole.
 */
function aor(uri: string): string {
  const u = parseSipUri(uri);
  return (u ? `${u.user ?? ''}@${u.host}` : uri).toLowerCase();
}

/**
 * `theirs` (the request's History-Info) followed by `ours` (historyInfo(): index 1, 1.1, ...),
 * our indices rebased under their last entry. Theirs without a usable index: ours as it is
 * after theirs (the entries stay, the tree is theirs to repair).
 */
export function appendHistoryInfo(theirs: string, ours: string): string {
  const t = entries(theirs);
  const o = entries(ours);
  const last = t[t.length - 1];
  const base = last && indexOf(last);
  if (!base || o.length === 0) return `${theirs}, ${ours}`;
  const skipFirst = aor(o[0].uri) === aor(last.uri);
  // Our entry n (1, 1.1, 1.1.1 ...) becomes base(.1)^(n - skip).
  const rebase = (idx: string) => {
    const depth = idx.split('.').length - 1 + (skipFirst ? 0 : 1);
    return base + '.1'.repeat(depth);
  };
  const mine = (skipFirst ? o.slice(1) : o).map((e) => {
    const params = e.params
      .replace(/(^|;)\s*index=([0-9.]+)/, (_, p: string, i: string) => `${p}index=${rebase(i)}`)
      .replace(/(^|;)\s*mp=([0-9.]+)/, (_, p: string, i: string) => `${p}mp=${rebase(i)}`);
    return `<${e.uri}>${params}`;
  });
  return [theirs, ...mine].join(', ');
}

/** The user part of the last entry's URI (the AOR a branch was retargeted to), if any. */
export function lastEntryUser(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const e = entries(value);
  const last = e[e.length - 1];
  return last ? uriUser(last.uri) : undefined;
}
