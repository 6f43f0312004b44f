import { api } from '../api.ts';
import { fill, h } from '../dom.ts';
import { setupSteps, type SetupFacts } from '../setup-steps.ts';
import type { Extension, Snapshot, Trunk } from '../types.ts';

/**
 * The dashboard's first-run panel: the next steps (add extensions → set up phones → connect a
 * trunk), each ticked from the real state and gone once all are done, and a short note on what
 * this appliance does and does not do for an admin used to a PBX such as FreePBX or 3CX.
 */
export function gettingStarted(): { section: HTMLElement; footer: HTMLElement; update(snap: Snapshot | undefined): void; reload(): Promise<void> } {
  const section = h('section', { 'aria-label': 'Getting started' });
  /** Where the PBX note goes once every step is done: the bottom of the dashboard. */
  const footer = h('section', { 'aria-label': 'About this appliance' });
  let extensions: Extension[] = [];
  let trunks: Trunk[] = [];
  let snap: Snapshot | undefined;
  let loaded = false;
  const draw = () => {
    if (!loaded) return;
    const registered = new Set((snap?.registrations ?? []).map((r) => r.extension));
    const facts: SetupFacts = {
      extensions: extensions.length,
      registeredExtensions: extensions.filter((e) => registered.has(e.number)).length,
      trunkStates: trunks.map((t) => t.state),
    };
    const steps = setupSteps(facts);
    const left = steps.filter((s) => !s.done).length;
    fill(section,
      left === 0 ? null : h('div', { class: 'card next-steps', id: 'next-steps' },
        h('h2', {}, 'Next steps'),
        h('p', { class: 'hint' }, `${steps.length - left} of ${steps.length} done. Each step is ticked as soon as the appliance sees it done.`),
        h('ol', { class: 'steps' }, steps.map((s) => h('li', { class: s.done ? 'done' : 'todo', 'data-step': s.id },
          h('span', { class: 'step-mark', 'aria-hidden': 'true' }, s.done ? '✓' : ''),
          h('span', { class: 'step-text' }, h('a', { href: s.href }, s.title), h('span', { class: 'visually-hidden' }, s.done ? ' (done)' : ' (to do)'),
            h('small', { class: 'hint' }, s.status)))))),
      left === 0 ? null : pbxNote());
    fill(footer, left === 0 ? pbxNote() : null);
  };
  const reload = async () => {
    [extensions, trunks] = await Promise.all([api<Extension[]>('GET', '/api/extensions'), api<Trunk[]>('GET', '/api/trunks')]);
    loaded = true;
    draw();
  };
  return { section, footer, update: (s) => { snap = s; draw(); }, reload };
}

/** What the box is and is not, in the words of someone who ran a PBX (docs/PBX.md, docs/PHONES.md). */
function pbxNote(): HTMLElement {
  return h('details', { class: 'card pbx-note', id: 'pbx-note' },
    h('summary', {}, 'Coming from FreePBX or 3CX? What this appliance does and does not do'),
    h('div', { class: 'grid2' },
      h('div', {}, h('h3', {}, 'It does'), h('ul', {},
        h('li', {}, 'Registers the office\'s SIP phones (one extension each, with its own password) and connects their calls.'),
        h('li', {}, 'Ring groups, forwarding, do-not-disturb, call pickup and busy lamps, with feature codes on the phones.'),
        h('li', {}, 'Outside calls through SIP trunks with a dial plan and per-extension permissions; emergency numbers are never blocked by permissions, limits or load.'),
        h('li', {}, 'Gives the phones DNS names (sip.<zone>), keeps call records and an event log, backs itself up, and hands traffic to a peer appliance when overloaded.'))),
      h('div', {}, h('h3', {}, 'It does not'), h('ul', {},
        h('li', {}, 'Carry the audio: it is a SIP proxy, not a PBX that answers calls itself, so voice flows straight between the phones (and the provider). No call recording, music on hold, conference rooms, IVR menus or transcoding.'),
        h('li', {}, 'Keep voicemail itself: it hands calls and message-waiting to an external voicemail server ([voicemail] in the configuration file).'),
        h('li', {}, 'Provision phones automatically (no TFTP/HTTP configuration server): enter the fields from each extension\'s Phone setup card.')))));
}
