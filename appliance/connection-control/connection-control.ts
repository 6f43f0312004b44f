import type { ApplianceConfig } from '../../system/config/index.ts';
import { DEFAULT_LOG_SETTINGS, Logger } from '../../system/log/logger.ts';
import { openStore, type Store } from '../../system/store/index.ts';
import { ownSipTarget, startDnsFunction, type DnsFunction } from '../dns/index.ts';
import { createLocator } from '../sip/proxy/locator.ts';
import { LocationView } from '../sip/registrar/location-view.ts';
import { extensionOfAor, registeredContactsOf } from '../sip/registrar/registered-contacts-view.ts';
import { flowMembersOf, startSip, type RunningSip } from '../sip/start-sip.ts';
import type { Ban } from '../sip/security/source-guard.ts';
import { startTrunks } from '../trunks/start-trunks.ts';
import type { TrunkService } from '../trunks/trunk-service.ts';
import { TrunkDirectory } from '../trunks/trunk-directory.ts';
import { loadOutsideLine } from '../trunks/outside-line.ts';
import type { TrunkStatus } from '../trunks/trunk-status.ts';
import { StoreWatch } from './store-watch.ts';
import { pbxLocate } from './pbx-locate.ts';
import { LampBoard } from '../sip/events/lamp-board.ts';
import { LampView } from '../sip/events/lamp-view.ts';
import { Notifier } from '../sip/events/notifier.ts';
import { extensionOfUri } from '../sip/events/extension-of-uri.ts';
import type { PickupRequest } from '../sip/events/event-services.ts';
import { pickupGroupOf } from '../sip/events/pickup-rules.ts';
import { advertiseFor } from '../sip/transport/advertise-for.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';

/** A running connection control section: SIP registrar + stateful proxy and the DNS function. */
export interface ConnectionControl {
  readonly workerId: number;
  readonly store: Store;
  readonly location: LocationView;
  readonly sip: RunningSip;
  readonly dns: DnsFunction;
  /** The trunks' registrations, in the one section that registers them (`registerTrunks`). */
  readonly trunks?: TrunkService;
  /** The outside line for the pipeline (routes, inbound numbers, trunk states): the config's and the store's (outside-line.ts). */
  readonly trunkDirectory: TrunkDirectory;
  /** Reads the outside line again (the admin changed it in the store): routing and, here if we register, the registrations follow. */
  reloadOutsideLine(): Promise<void>;
  /** Every extension's dialogs (busy lamps), as the lamp board's owner publishes them. */
  readonly lamps: LampView;
  /** The lamp board itself when this section owns it (the single-process appliance; workers get the control section's changes). */
  readonly lampBoard?: LampBoard;
  /** The NOTIFY sender, in the one section that runs it (`notifier`). */
  readonly notifier?: Notifier;
  /**
   * The store changed (the control section said so): the DNS reloads its records, bindings of
   * removed extensions go, bans are re-read (the admin may have lifted one). The same runs when
   * the store watch sees another connection's commit (store-watch.ts).
   */
  storeChanged(): void;
  stop(): Promise<void>;
}

export interface ConnectionControlOptions {
  readonly workerId: number;
  /** This worker's own UDP port for its Via (0: any free port); undefined: the shared port. */
  readonly ownPort?: number;
  /** The process's log lines (stdout in production, worker-main.ts); absent: text lines to `print`. */
  readonly logger?: Logger;
  /** Where lines go without a `logger` (nothing in tests). */
  readonly print?: (line: string) => void;
  /** Told of each ban this section decides (the worker spreads it to its siblings). */
  readonly onBan?: (ban: Ban) => void;
  /** Register the `[[trunks]]` here: exactly one section does (worker slot 0, or the in-process appliance). */
  readonly registerTrunks?: boolean;
  /** Told of each trunk status change (the worker sends it to the control section). */
  readonly onTrunkStatus?: (status: TrunkStatus) => void;
  /** Told when a trunk's provider left a call unanswered (the worker tells its siblings through the control section). */
  readonly onTrunkUnreachable?: (trunk: string) => void;
  /**
   * Busy lamps (sip/events/): `own` (one process: this section keeps the lamp board from its own
   * dialog events and runs the notifier), or what a worker does: run the notifier here (slot 0),
   * tell the notifier's worker of a subscription accepted here, hand a pickup to another worker.
   */
  readonly events?: 'own' | {
    readonly notifier: boolean;
    readonly subscriptionChanged: (id: string) => void;
    readonly pickupElsewhere: (request: PickupRequest) => void;
  };
}

/**
 * Starts one connection control section in this process: opens the store, loads the location
 * view, starts the DNS function (its in-process lookup serves the proxy even when its sockets
 * are disabled) and the SIP service. Several can run side by side in separate processes: every
 * shared socket is bound with SO_REUSEPORT.
 */
export async function startConnectionControl(config: ApplianceConfig, opts: ConnectionControlOptions): Promise<ConnectionControl> {
  const logger = opts.logger ?? new Logger(DEFAULT_LOG_SETTINGS, opts.print ?? (() => {}), opts.workerId);
  const print = (line: string) => logger.line(line);
  const store = openStore(config.dataDir, { events: config.log, bindingTombstoneMs: config.sip.maxExpires * 1000 });
  // Every event stored here is also this process's log line (the worker id is the line's own field).
  store.events.onAppend = (kind, message, { worker: _, ...details }, ts) => logger.event(kind, message, details, ts);
  const log = (kind: EventKind, message: string, details: Record<string, unknown> = {}) => store.events.append(kind, message, { worker: opts.workerId, ...details });
  const started: { stop(): Promise<void> }[] = [];
  try {
    const exists = (n: string) => store.extensions.get(n) !== undefined;
    const location = new LocationView(store.registrations);
    location.load();
    const pruneRemovedExtensions = () => location.removeWhere((aor) => {
      const ext = extensionOfAor(aor, config.sip.domain);
      return ext === undefined || !exists(ext);
    }).length;
    // Extensions removed while the appliance was stopped take their bindings with them now.
    pruneRemovedExtensions();
    const dns = await startDnsFunction({ config, store, registrations: registeredContactsOf(location, config.sip.domain, exists), log: print });
    started.push(dns);
    const locateDirect = createLocator({
      lookup: (ident) => dns.lookupIdentification(ident),
      location,
      extension: (n) => store.extensions.get(n),
      extensionByE164: (e) => store.extensions.findByE164(e),
      domain: config.sip.domain,
      mode: config.sip.mode,
      tcp: config.sip.transports.includes('tcp'),
      members: flowMembersOf(config),
    });
    // Ring groups, forwarding, DND, voicemail (issue 15) in front of the location service; feature codes, MWI.
    const pbx = pbxLocate({ config, store, location, locateDirect, sip: () => sip.service, log });
    const locate = pbx.locate;
    const sip = await startSip({ config, store, log, logger, location, locate, ownPort: opts.ownPort, workerId: opts.ownPort !== undefined ? opts.workerId : undefined, onBan: opts.onBan, dnsQuery: (n, t) => dns.resolve(n, t) });
    started.push(sip);
    pbx.attach(sip.service);
    // The SRV records name the port actually bound (it differs from the config when that said 0).
    dns.setSipTargets([ownSipTarget(config, { sip: sip.port, ...(sip.transports.tlsPort !== undefined ? { tls: sip.transports.tlsPort } : {}) })]);
    // Calls to and from the trunks (issue 14): every section routes them, one registers them.
    // The outside line is the config's and the admin's (store) in one validated view.
    let line = loadOutsideLine(config, store);
    const trunkDirectory = new TrunkDirectory(line.trunks, line.routes, line.inbound, line.emergency, {
      resolve: (uri) => sip.service.resolveUri(uri),
      outsideCalls: (extension, since) => store.callRecords.outsideCalls(extension, since),
      onUnreachable: (trunk) => {
        log('trunk.unreachable', `trunk ${trunk}: the provider did not answer a call at all; its calls get 503 for 30 s`, { trunk });
        opts.onTrunkUnreachable?.(trunk);
      },
    });
    sip.service.parts.trunks = trunkDirectory;
    void trunkDirectory.learnAddresses();
    const onStatus = (s: TrunkStatus) => {
      trunkDirectory.setStatus(s);
      opts.onTrunkStatus?.(s);
    };
    const trunks = opts.registerTrunks ? startTrunks({ config, trunks: line.trunks, sip, dnsQuery: (n, t) => dns.resolve(n, t), log, onStatus }) : undefined;
    /** The outside line again (the admin changed it in the store): routing here and, if we register, the registrations follow. */
    const reloadOutsideLine = async () => {
      const next = loadOutsideLine(config, store);
      if (JSON.stringify(next) === JSON.stringify(line)) return;
      line = next;
      trunkDirectory.update(line);
      void trunkDirectory.learnAddresses();
      await trunks?.update(line.trunks);
    };
    const watch = new StoreWatch(store, () => {
      dns.invalidate();
      pruneRemovedExtensions();
      sip.service.sourceGuard.sync(store.bans.active());
      reloadOutsideLine().catch((err) => log('trunk.reload', `the outside line could not be read again: ${(err as Error).message}`));
    }, print);
    // Busy lamps, presence, pickup (issue 15): the dialog state per extension and the notifier.
    const lamps = new LampView();
    const ev = opts.events ?? 'own';
    const lampBoard = ev === 'own' ? new LampBoard((uri) => extensionOfUri(uri, sip.service.settings.localHosts, exists)) : undefined;
    if (lampBoard) sip.service.onDialogEvent = (e) => lamps.apply(lampBoard.apply(0, [e]));
    const notifier = ev === 'own' || ev.notifier ? new Notifier({
      store: store.subscriptions, lamps, domain: config.sip.domain, log,
      request: (req, dest, user) => sip.service.request(req, dest, user),
      identity: (address) => {
        const st = sip.service.settings;
        return { advertise: advertiseFor(st.advertiseByFamily, address), port: st.port, tlsPort: st.tlsPort, viaPort: st.viaPort };
      },
    }) : undefined;
    sip.service.parts.events = {
      subscriptions: store.subscriptions, lamps,
      changed: ev === 'own' ? (id) => notifier!.changed(id) : ev.subscriptionChanged,
      pickup: (r) => (ev === 'own' || r.worker === opts.workerId ? void sip.service.pickup(r) : ev.pickupElsewhere(r)),
      pickupGroup: (picker) => pickupGroupOf(picker, store.ringGroups.list()),
    };
    // A worker's notifier starts once the control section's board has arrived (worker-main.ts).
    if (ev === 'own') notifier?.start();
    return {
      workerId: opts.workerId, store, location, sip, dns, trunks, trunkDirectory, reloadOutsideLine, lamps, lampBoard, notifier,
      storeChanged: () => watch.changed(),
      async stop() {
        watch.stop();
        notifier?.stop();
        await trunks?.stop();
        await sip.stop();
        await dns.stop();
        store.close();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    store.close();
    throw err;
  }
}
