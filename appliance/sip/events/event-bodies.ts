import { lampState, type LampDialog } from './lamp-board.ts';

/** Content types of the NOTIFY bodies (RFC 4235 §4, RFC 3863 §4). */
export const DIALOG_INFO_TYPE = 'application/dialog-info+xml';
export const PIDF_TYPE = 'application/pidf+xml';

/** XML text and attribute escaping (the peer URIs come from phones). */
export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A full-state dialog-info document (RFC 4235 §4.1) for `entity`: one `<dialog>` per dialog,
 * the extension's side of it (local = the extension, remote = the other party), `terminated`
 * ones included once, so the subscriber sees the end. `version` counts the NOTIFYs of this
 * subscription (§4.1.1: it only grows).
 */
export function dialogInfo(entity: string, version: number, dialogs: readonly LampDialog[]): string {
  const items = dialogs.map((d) => {
    const tags = `${d.localTag ? ` local-tag="${xmlEscape(d.localTag)}"` : ''}${d.remoteTag ? ` remote-tag="${xmlEscape(d.remoteTag)}"` : ''}`;
    return `  <dialog id="${d.id}" call-id="${xmlEscape(d.callId)}"${tags} direction="${d.direction}">\n`
      + `    <state>${d.state}</state>\n`
      + `    <duration>${Math.max(0, Math.round((Date.now() - d.since) / 1000))}</duration>\n`
      + `    <local><identity>${xmlEscape(entity)}</identity></local>\n`
      + `    <remote><identity>${xmlEscape(d.peer)}</identity><target uri="${xmlEscape(d.peer)}"/></remote>\n`
      + '  </dialog>\n';
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${xmlEscape(entity)}">\n${items}</dialog-info>\n`;
}

/**
 * A PIDF presence document (RFC 3863) for `entity` from its dialogs: basic `open` (the
 * appliance cannot tell a phone that is off from one that is idle without its registration;
 * FIXME: `closed` with no binding), the RPID activity `on-the-phone` in a call (RFC 4480 §3.2)
 * and a note: Available, Ringing, On the phone.
 */
export function pidf(entity: string, dialogs: readonly LampDialog[]): string {
  const state = lampState(dialogs);
  const note = state === 'in-call' ? 'On the phone' : state === 'ringing' ? 'Ringing' : 'Available';
  const activity = state === 'in-call' ? '<rpid:on-the-phone/>' : '<rpid:unknown/>';
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${xmlEscape(entity)}">\n`
    + `  <tuple id="t1"><status><basic>open</basic></status><contact>${xmlEscape(entity)}</contact><note>${note}</note></tuple>\n`
    + `  <dm:person id="p1"><rpid:activities>${activity}</rpid:activities><dm:note>${note}</dm:note></dm:person>\n`
    + '</presence>\n';
}
