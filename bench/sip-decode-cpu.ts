#!/usr/bin/env bun
/**
 * CPU per decodeMessage of three typical messages: an INVITE (To, From, Contact), a 200 to an
 * INVITE with a Contact (the response path reads To, From and Contact), a REGISTER with two
 * Contacts. Best of 7 rounds of N decodes each (the box is shared: the best round is the one
 * least disturbed). Prints microseconds per decode. In-process, no sockets.
 * Run: bun bench/sip-decode-cpu.ts [N=20000] [--against DIR]
 * --against DIR: also the decoder of another checkout (e.g. `git worktree add --detach DIR REV`),
 * alternated round by round with this one in the same process: on a shared box that compares
 * better than two runs.
 */
import { resolve } from 'node:path';
import { decodeMessage } from '../appliance/sip/message/decode.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--against');
const against = at >= 0 ? resolve(args.splice(at, 2)[1] ?? '') : undefined;
const N = Number(args[0] ?? 20000);
type Decode = (b: Buffer) => { kind: string };
const decoders: [string, Decode][] = [['this', decodeMessage]];
if (against) decoders.push([`against(${against})`, (await import(`${against}/appliance/sip/message/decode.ts`)).decodeMessage]);
const ROUNDS = 7;
const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.22\r\ns=-\r\nc=IN IP4 127.0.0.22\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const MESSAGES: [string, Buffer][] = [
  ['invite', Buffer.from(`INVITE sip:201@office.lan SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.22:5060;branch=z9hG4bK-524287-1;rport\r\nMax-Forwards: 70\r\nFrom: "Alice Example" <sip:alice@office.lan>;tag=9fxced76sl\r\nTo: <sip:201@office.lan>\r\nCall-ID: 3848276298220188511@192.168.1.22\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.168.1.22:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nSupported: replaces, timer\r\nUser-Agent: Bench/1.0\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`)],
  ['200-with-contact', Buffer.from(`SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK-p-1;received=192.168.1.2\r\nVia: SIP/2.0/UDP 192.168.1.22:5060;branch=z9hG4bK-524287-1;rport=5060\r\nRecord-Route: <sip:192.168.1.2;lr>\r\nFrom: "Alice Example" <sip:alice@office.lan>;tag=9fxced76sl\r\nTo: <sip:201@office.lan>;tag=8321234356\r\nCall-ID: 3848276298220188511@192.168.1.22\r\nCSeq: 1 INVITE\r\nContact: "Bob" <sip:201@192.168.1.21:5062;transport=udp>;expires=3600\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`)],
  ['register-2-contacts', Buffer.from('REGISTER sip:office.lan SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.21:5062;branch=z9hG4bK-r-1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:201@office.lan>;tag=reg1\r\nTo: <sip:201@office.lan>\r\nCall-ID: reg-1@192.168.1.21\r\nCSeq: 2 REGISTER\r\nContact: <sip:201@192.168.1.21:5062;transport=udp>;expires=3600;q=0.9, "Desk" <sip:201@[2001:db8::21]:5062>;expires=600;+sip.instance="<urn:uuid:1>"\r\nAuthorization: Digest username="201", realm="office.lan", nonce="abc", uri="sip:office.lan", response="0123456789abcdef0123456789abcdef", algorithm=MD5\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n')],
];

for (const [name, bytes] of MESSAGES) {
  const best = decoders.map(() => Infinity);
  decoders.forEach(([who, decode]) => {
    const kind = decode(bytes).kind;
    if (kind !== 'request' && kind !== 'response') throw new Error(`${name} does not decode with ${who}: ${kind}`);
    for (let i = 0; i < 5000; i++) decode(bytes); // warm up
  });
  for (let r = 0; r < ROUNDS; r++) {
    decoders.forEach(([, decode], d) => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) decode(bytes);
      const c = process.cpuUsage(c0);
      best[d] = Math.min(best[d], (c.user + c.system) / N);
    });
  }
  decoders.forEach(([who], d) => console.log(`${name} ${who} cpu_us_per_decode=${best[d].toFixed(2)} (best of ${ROUNDS} x ${N})`));
}

// The name-addr parser alone against the one it replaced, interleaved in this process (absent
// in a checkout older than name-addr.ts): To, From and Contact values as phones send them.
const VALUES = ['"Alice Example" <sip:alice@office.lan>;tag=9fxced76sl', '<sip:201@office.lan>', '<sip:alice@192.168.1.22:5060;transport=udp>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>"', 'sip:201@192.168.1.21:5062;expires=600'];
const ours = await import('../appliance/sip/message/name-addr.ts').catch(() => undefined);
if (ours) {
  const { default: sip } = await import('sip');
  const parsers: [string, (c: { s: string; i: number }) => unknown][] = [['sip.parseAOR', sip.parseAOR], ['readNameAddr', ours.readNameAddr]];
  const best = new Map<string, number>();
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const [name, parse] of parsers) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) for (const s of VALUES) parse({ s, i: 0 });
      const c = process.cpuUsage(c0);
      // Round 0 warms up.
      if (r > 0) best.set(name, Math.min(best.get(name) ?? Infinity, (c.user + c.system) / N / VALUES.length));
    }
  }
  for (const [name] of parsers) console.log(`${name} cpu_us_per_value=${best.get(name)!.toFixed(3)} (best of ${ROUNDS} x ${N} x ${VALUES.length} values)`);
}
