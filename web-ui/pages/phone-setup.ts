import { api } from '../api.ts';
import { fill, h } from '../dom.ts';
import { qrSvg } from '../qr.ts';
import { generatePassword, notify } from '../ui.ts';
import type { Provisioning } from '../types.ts';

type Transport = 'udp' | 'tcp' | 'tls';
/** What the card knows for one extension and transport. */
interface Account { number: string; name: string; transport: Transport; port: number; address: string; prov: Provisioning }
/** One row of the card: the label a phone family uses, the value, and whether it is the password. */
interface Row { label: string; value: string; secret?: boolean; note?: string }

const T = (a: Account) => a.transport.toUpperCase();
/** host:port, with brackets for an IPv6 address (RFC 3986 §3.2.2). */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The fields each phone family asks for, under the labels its web UI uses (docs/PHONES.md,
 * from the vendors' guides): the number goes in both the user and the authentication name.
 */
const FAMILIES: Record<string, { title: string; rows: (a: Account) => Row[] }> = {
  yealink: { title: 'Yealink (Account → Register)', rows: (a) => [
    { label: 'Register Name', value: a.number }, { label: 'User Name', value: a.number }, { label: 'Password', value: '', secret: true },
    { label: 'SIP Server 1', value: a.address }, { label: 'Port', value: String(a.port) }, { label: 'Transport', value: T(a) },
    { label: 'Outbound Proxy', value: 'off', note: 'not needed' },
  ] },
  grandstream: { title: 'Grandstream (Accounts → Account 1 → General)', rows: (a) => [
    { label: 'SIP Server', value: a.port === 5060 ? a.address : hostPort(a.address, a.port) }, { label: 'Outbound Proxy', value: '', note: 'leave empty' },
    { label: 'SIP User ID', value: a.number }, { label: 'Authenticate ID', value: a.number }, { label: 'Authenticate Password', value: '', secret: true },
    { label: 'SIP Transport', value: a.transport === 'tls' ? 'TLS/TCP' : T(a) },
  ] },
  polycom: { title: 'Polycom / Poly (Settings → Lines → Line 1)', rows: (a) => [
    { label: 'Address', value: a.number }, { label: 'Authentication User ID', value: a.number }, { label: 'Authentication Password', value: '', secret: true },
    { label: 'Server address', value: a.address }, { label: 'Server port', value: String(a.port) },
    { label: 'Transport', value: a.transport === 'udp' ? 'UDPOnly' : a.transport === 'tcp' ? 'TCPOnly' : 'TLS' },
    { label: 'Outbound proxy', value: '', note: 'leave empty' },
  ] },
  snom: { title: 'Snom (Identity 1 → Login)', rows: (a) => [
    { label: 'Account', value: a.number }, { label: 'Authentication user name', value: a.number }, { label: 'Password', value: '', secret: true },
    { label: 'Registrar', value: a.address }, { label: 'Outbound proxy', value: `${hostPort(a.address, a.port)};transport=${a.transport}` },
  ] },
  softphone: { title: 'Softphones (Zoiper, Linphone, baresip)', rows: (a) => [
    { label: 'Domain / Host', value: a.port === 5060 ? a.address : hostPort(a.address, a.port) }, { label: 'Username', value: a.number },
    { label: 'Authentication user', value: a.number }, { label: 'Password', value: '', secret: true },
    { label: 'Transport', value: T(a) }, { label: 'Port', value: String(a.port) }, { label: 'Outbound proxy', value: '', note: 'leave empty' },
    { label: 'Domain / realm', value: a.prov.domain },
  ] },
};

/** Copies text to the clipboard (a secure context: the admin UI is HTTPS). */
async function copy(text: string, what: string): Promise<void> {
  await navigator.clipboard.writeText(text);
  notify(`${what} copied`);
}

const copyButton = (text: () => string, what: string) =>
  h('button', { type: 'button', class: 'copy', 'aria-label': `Copy ${what}`, onclick: () => void copy(text(), what).catch((e) => notify(`Cannot copy: ${e.message}`, 'error')) }, 'Copy');

/** What the card needs from its page: the passwords set in this visit (never stored, never in a URL). */
export interface SetupHost {
  readonly passwords: Map<string, string>;
  /** The extension's password was set anew from the card. */
  changed(number: string): void;
}

/**
 * The phone setup card of one extension, available at any time: the server by its DNS name
 * (`sip.<zone>`, answered by our DNS function) and its address, then the fields of the chosen
 * phone family with a copy button each, and a QR code of the account for softphones. The
 * password is a secret: shown only on request to the logged-in admin, and only when this page
 * knows it (the appliance keeps only hashes): otherwise the card offers to set a new one.
 */
export function phoneSetupCard(root: HTMLElement, number: string, name: string, prov: Provisioning, host: SetupHost): void {
  const transports = prov.transports.filter((t): t is Transport => t === 'udp' || t === 'tcp' || t === 'tls');
  const transport = h('select', { id: 'setup-transport' }, transports.map((t) => h('option', { value: t }, t.toUpperCase())));
  const family = h('select', { id: 'setup-family' }, Object.entries(FAMILIES).map(([k, f]) => h('option', { value: k }, f.title)));
  const addresses = [...(prov.dnsName ? [prov.dnsName] : []), ...prov.servers];
  const address = h('select', { id: 'setup-address' }, addresses.map((a) => h('option', { value: a }, a === prov.dnsName ? `${a} (DNS name)` : a)));
  const fields = h('div', { class: 'setup-fields' });
  const qr = h('div', { class: 'setup-qr' });
  let shown = false;

  const draw = () => {
    const t = transport.value as Transport;
    const a: Account = { number, name, transport: t, port: t === 'tls' ? prov.tlsPort ?? 5061 : prov.port, address: address.value, prov };
    const password = host.passwords.get(number);
    const value = (r: Row) => {
      if (!r.secret) return h('code', { class: 'setup-value' }, r.value || '(empty)');
      if (!password) return h('span', { class: 'hint' }, 'not kept by the appliance (it stores only a hash)');
      return h('code', { class: 'setup-value secret' }, shown ? password : '••••••••••••');
    };
    const actions = (r: Row) => {
      if (!r.secret) return r.value ? copyButton(() => r.value, r.label) : '';
      if (!password) return h('button', { type: 'button', onclick: () => void setNew() }, 'Set a new password');
      return h('span', { class: 'row-actions' },
        h('button', { type: 'button', 'aria-pressed': String(shown), onclick: () => { shown = !shown; draw(); } }, shown ? 'Hide' : 'Show'),
        copyButton(() => password, r.label));
    };
    const rows = FAMILIES[family.value]!.rows(a);
    fill(fields, h('table', { class: 'setup-table' },
      h('caption', {}, `${FAMILIES[family.value]!.title}: extension ${number}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field on the phone'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('th', { scope: 'row' }, r.label), h('td', { 'data-label': 'Value' }, value(r), r.note ? h('small', { class: 'hint' }, ` ${r.note}`) : ''), h('td', {}, actions(r)))))));
    // The QR code names the account, never the password: a screen can be photographed.
    // With the DNS name the softphone finds the server by NAPTR/SRV (RFC 3263); with an address it needs the port.
    const uri = a.address === prov.dnsName
      ? `sip:${number}@${prov.domain};transport=${t}`
      : `sip:${number}@${hostPort(a.address, a.port)};transport=${t}`;
    fill(qr, h('h3', {}, 'Scan with a softphone'), qrSvg(uri, `QR code of ${uri}`),
      h('p', { class: 'hint' }, h('code', {}, uri), ' (a SIP address, RFC 3261 §19.1). It holds no password: the softphone asks for it.'));
  };

  const setNew = async () => {
    if (!confirm(`Set a new password for extension ${number}? Phones using the old one stop registering.`)) return;
    const pw = generatePassword();
    await api('PUT', `/api/extensions/${encodeURIComponent(number)}`, { password: pw });
    host.passwords.set(number, pw);
    shown = false;
    host.changed(number);
    notify(`New password set for extension ${number}: press Show to read it`);
    draw();
  };

  for (const el of [transport, family, address]) el.addEventListener('change', draw);
  const dnsHint = prov.dnsName
    ? `${prov.dnsName} is answered by this appliance's DNS function with its address${prov.dnsPort === 53 ? '' : ` (on port ${prov.dnsPort}: phones ask port 53, so use the address or the production configuration)`}; a phone resolves it only with the appliance as its DNS server (DHCP option 6). Use the address otherwise.`
    : 'The DNS function is off: use the address.';
  const label = (id: string, text: string, el: HTMLElement) => h('div', { class: 'field' }, h('label', { for: id }, text), el);
  fill(root, h('div', { class: 'card provisioning', id: 'phone-setup' },
    h('h2', { tabindex: '-1' }, `Phone setup for extension ${number}${name ? ` (${name})` : ''}`),
    h('div', { class: 'filters' }, label('setup-family', 'Phone', family), label('setup-transport', 'Transport', transport), label('setup-address', 'Server', address)),
    h('p', { class: 'hint' }, dnsHint),
    h('div', { class: 'setup-grid' }, fields, qr)));
  draw();
}
