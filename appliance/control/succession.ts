import type { Subprocess } from 'bun';
import type { BindingChange } from '../../system/store/index.ts';
import type { HandOffCause } from '../peers/hand-off.ts';
import type { ActiveCall, HandedOverCall } from './calls-view.ts';
import type { DialogEvent } from '../sip/dialog-events.ts';
import { CONFIG_TEXT_ENV, isMessage } from './ipc-protocol.ts';
import { applianceCommand } from './worker-command.ts';

/** A hand-off in force when the upgrade started: the successor asks the same peer again (the peer accepts it again: it is idempotent). */
export interface CarriedHandOff {
  readonly to: string;
  readonly cause: HandOffCause;
}

/**
 * Upgrade of the control section itself (issue 17): the running control section starts its
 * successor (the code on disk now: from source the entry script read again, compiled the
 * executable at process.execPath, which an upgrade replaced on disk), which spawns its own
 * workers in the slots the old ones do not hold (their Via ports differ, so the old workers
 * still get the responses of what they forwarded) on the same shared ports (SO_REUSEPORT).
 * Once they run, the old control section drains its workers (they leave the shared ports,
 * finish their transactions, and the trunks pass to the new registrar without an unregister),
 * leaves the web port and says so; the successor then opens the web UI, the API and the
 * command channel, and the old one exits when its workers have drained. While both run,
 * registration changes go both ways over this link, so no worker of either misses one.
 */
export type SuccessionMessage =
  /** Successor → predecessor: its workers run; waiting for the web port. */
  | { readonly type: 'workers-ready'; readonly pid: number }
  /**
   * Predecessor → successor: the web listener is closed; take it, the hand-off to a peer (if
   * any), and the calls in progress (the successor's calls view ends them and their records).
   */
  | { readonly type: 'web-free'; readonly handOff: CarriedHandOff | null; readonly calls: readonly HandedOverCall[] }
  /** Predecessor → successor: its workers' dialog events (calls starting and ending while both run). */
  | { readonly type: 'dialogs'; readonly events: readonly DialogEvent[] }
  /** Either way: registration changes made by the sender's workers. */
  | { readonly type: 'bindings'; readonly changes: readonly BindingChange[] };

/** The option that starts the entry point as a successor (its value: the predecessor's pid). */
export const TAKE_OVER_OPTION = '--take-over';
/** The predecessor's worker slots, comma-separated: the successor's workers take others. */
export const RESERVED_SLOTS_OPTION = '--reserved-slots';
/** How long the successor may take to have its workers running. */
const READY_TIMEOUT_MS = 30_000;


/** The old control section's handle on its successor. */
export interface Successor {
  readonly pid: number;
  /** Resolves when the successor's workers run; rejects when it exits first or takes too long. */
  readonly ready: Promise<void>;
  /** Tells the successor the web port is free, which peer holds our new traffic (if one does), and the calls in progress. */
  webFree(handOff: CarriedHandOff | null, calls: readonly HandedOverCall[]): void;
  sendBindings(changes: readonly BindingChange[]): void;
  /** Its workers' dialog events, so the successor's calls view knows the calls that start and end meanwhile. */
  sendDialogs(events: readonly DialogEvent[]): void;
  /** Stops a successor that did not get ready (the old control section keeps serving). */
  kill(): void;
}

/**
 * Starts the successor with the config text the running control section accepted (so an edit
 * of the file that was not reloaded does not ride along), in its own process group so that it
 * outlives its parent, with output to the same place.
 */
export function startSuccessor(opts: {
  readonly configArg: string;
  readonly configText: string | undefined;
  readonly reservedSlots: readonly number[];
  readonly onBindings: (changes: readonly BindingChange[]) => void;
}): Successor {
  let readyResolve = () => {};
  let readyReject = (_: Error) => {};
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  const args = [...(opts.configArg === 'embedded' ? [] : ['--config', opts.configArg]), TAKE_OVER_OPTION, String(process.pid), RESERVED_SLOTS_OPTION, opts.reservedSlots.join(',') || 'none'];
  // The code on disk now: compiled, process.execPath (replaced by the upgrade); from source, main.ts read again.
  const proc: Subprocess = Bun.spawn([...applianceCommand(), ...args], {
    stdout: 'inherit', stderr: 'inherit', stdin: 'ignore', detached: true, serialization: 'json',
    ...(opts.configText !== undefined ? { env: { ...process.env, [CONFIG_TEXT_ENV]: opts.configText } } : {}),
    ipc(message) {
      if (!isMessage<SuccessionMessage>(message)) return;
      if (message.type === 'workers-ready') readyResolve();
      else if (message.type === 'bindings' && Array.isArray(message.changes)) opts.onBindings(message.changes);
    },
  });
  const timer = setTimeout(() => readyReject(new Error(`the new control section (pid ${proc.pid}) did not start its workers within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
  void proc.exited.then((code) => readyReject(new Error(`the new control section (pid ${proc.pid}) exited (code ${code}) before its workers ran`)));
  void ready.finally(() => clearTimeout(timer)).catch(() => {});
  const send = (m: SuccessionMessage) => {
    try {
      proc.send(m);
    } catch {
      // It exited; its exit is what the caller sees.
    }
  };
  return {
    pid: proc.pid,
    ready,
    webFree: (handOff, calls) => send({ type: 'web-free', handOff, calls }),
    sendBindings: (changes) => send({ type: 'bindings', changes }),
    sendDialogs: (events) => send({ type: 'dialogs', events }),
    kill: () => proc.kill('SIGKILL'),
  };
}

/**
 * Under systemd (NOTIFY_SOCKET set; the unit has NotifyAccess=all, system/service/systemd-unit.ts)
 * tells the service manager this process is the service's main process now, so the
 * predecessor's exit does not end the service (sd_notify(3) MAINPID=, sent with systemd-notify:
 * Bun has no unix datagram socket). Outside systemd: nothing. Returns what happened, for the log.
 */
export async function notifyMainPid(env: Record<string, string | undefined> = process.env): Promise<string | undefined> {
  if (!env.NOTIFY_SOCKET) return undefined;
  try {
    const proc = Bun.spawn(['systemd-notify', `MAINPID=${process.pid}`], { env: { ...process.env, NOTIFY_SOCKET: env.NOTIFY_SOCKET }, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    return code === 0 ? `systemd told MAINPID=${process.pid}` : `systemd-notify failed (exit ${code}): ${err.trim()}`;
  } catch (e) {
    return `systemd-notify could not run: ${(e as Error).message}`;
  }
}

/** What the successor takes over from its predecessor besides the ports. */
export interface Inheritance {
  readonly handOff: CarriedHandOff | null;
  /** With each call's legs and sequence numbers (calls-view.ts `handover`), so it can still be hung up. */
  readonly calls: readonly HandedOverCall[];
}

/** The successor's side: the predecessor's slots, the hand-over of the web port, bindings both ways. */
export interface Predecessor {
  readonly pid: number;
  /** Slots the predecessor's workers hold until it is gone. */
  readonly reservedSlots: readonly number[];
  /**
   * Says the workers run; resolves when the predecessor left the web port (or after a bound),
   * with the hand-off it had in force and its calls in progress.
   */
  workersReady(): Promise<Inheritance>;
  /** Registration changes of the predecessor's workers. */
  onBindings: ((changes: readonly BindingChange[]) => void) | undefined;
  /** Dialog events of the predecessor's workers (their records are the predecessor's: only the calls view needs them). */
  onDialogs: ((events: readonly DialogEvent[]) => void) | undefined;
  sendBindings(changes: readonly BindingChange[]): void;
  /** Resolves when the predecessor has exited (its IPC channel closed). */
  readonly gone: Promise<void>;
}

/**
 * The link to the predecessor when this process was started with TAKE_OVER_OPTION and an IPC
 * channel (undefined otherwise: an ordinary start).
 */
export function predecessorLink(predecessorPid: string | undefined, reserved: string | undefined): Predecessor | undefined {
  if (predecessorPid === undefined || !process.send) return undefined;
  const slots = (reserved ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 0);
  let webFree = (_: Inheritance) => {};
  const freed = new Promise<Inheritance>((res) => (webFree = res));
  const nothing: Inheritance = { handOff: null, calls: [] };
  const gone = new Promise<void>((res) => process.once('disconnect', () => res()));
  const link: Predecessor = {
    pid: Number(predecessorPid),
    reservedSlots: slots,
    onBindings: undefined,
    onDialogs: undefined,
    async workersReady() {
      process.send?.({ type: 'workers-ready', pid: process.pid } satisfies SuccessionMessage);
      // The predecessor closes its listener at once; the bound covers one that hangs or died.
      return Promise.race([freed, gone.then(() => nothing), Bun.sleep(READY_TIMEOUT_MS).then(() => nothing)]);
    },
    sendBindings(changes) {
      try {
        process.send?.({ type: 'bindings', changes } satisfies SuccessionMessage);
      } catch {
        // The predecessor is gone.
      }
    },
    gone,
  };
  process.on('message', (raw: unknown) => {
    if (!isMessage<SuccessionMessage>(raw)) return;
    if (raw.type === 'web-free') {
      webFree({ handOff: isCarriedHandOff(raw.handOff) ? raw.handOff : null, calls: Array.isArray(raw.calls) ? raw.calls.filter(isActiveCall) : [] });
    }
    else if (raw.type === 'bindings' && Array.isArray(raw.changes)) link.onBindings?.(raw.changes);
    else if (raw.type === 'dialogs' && Array.isArray(raw.events)) link.onDialogs?.(raw.events);
  });
  return link;
}

function isCarriedHandOff(v: unknown): v is CarriedHandOff {
  return typeof v === 'object' && v !== null && typeof (v as CarriedHandOff).to === 'string' && typeof (v as CarriedHandOff).cause === 'string';
}

function isActiveCall(v: unknown): v is ActiveCall {
  const c = v as ActiveCall;
  return typeof c === 'object' && c !== null && typeof c.callId === 'string' && Array.isArray(c.tags) && c.tags.length === 2
    && c.tags.every((t) => typeof t === 'string') && typeof c.from === 'string' && typeof c.to === 'string' && typeof c.startedAt === 'number';
}
