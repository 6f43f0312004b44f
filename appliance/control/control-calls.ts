import type { ApplianceConfig } from '../../system/config/index.ts';
import type { EventKind } from '../../system/log/event-kinds.ts';
import type { Store } from '../../system/store/index.ts';
import { extensionOfUri } from '../sip/events/extension-of-uri.ts';
import { LampBoard } from '../sip/events/lamp-board.ts';
import { sipSettings } from '../sip/start-sip.ts';
import { CallRecorder } from './call-records.ts';
import { CallsView } from './calls-view.ts';
import { directionRules } from './live-config.ts';

/** The control section's view of the calls, fed by every worker's dialog events. */
export interface ControlCalls {
  /** Calls in progress and recently ended, across every worker. */
  readonly calls: CallsView;
  /** Busy lamps (issue 15): the dialog state per extension. */
  readonly lamps: LampBoard;
  /** Call detail records: a row per call answered or failed. */
  readonly recorder: CallRecorder;
}

/** The calls view, the lamp board and the call recorder, a record ended when the view ends its call. */
export function startControlCalls(config: ApplianceConfig, store: Store, failed: (kind: EventKind) => (e: unknown) => void): ControlCalls {
  const calls = new CallsView();
  // Busy lamps (issue 15): the dialog state per extension, from every worker's dialog events.
  const ourHosts = sipSettings(config, config.sip.port, config.sip.port).localHosts;
  const lamps = new LampBoard((uri) => extensionOfUri(uri, ourHosts, (n) => store.extensions.get(n) !== undefined));
  // Call detail records: a row per call answered or failed, ended when the view ends the call.
  const recorder = new CallRecorder(store.callRecords, directionRules(config), failed('control.call-records.error'));
  calls.onFinish = (c) => recorder.ended(c);
  return { calls, lamps, recorder };
}
