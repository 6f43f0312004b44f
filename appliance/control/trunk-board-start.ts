import type { ApplianceConfig } from '../../system/config/index.ts';
import type { EventLog } from '../../system/log/event-kinds.ts';
import type { Store } from '../../system/store/index.ts';
import { importConfigPasswords, loadOutsideLine } from '../trunks/outside-line.ts';
import { TrunkBoard } from '../trunks/trunk-board.ts';

/**
 * The control section's trunks board at start (its states come from the worker in slot 0, the
 * one that registers the trunks): the config's trunk passwords are sealed into the store first
 * (then the file may drop them), and the board holds the outside line as the workers see it,
 * the config's entries and the admin's (outside-line.ts); a store entry the file now
 * contradicts is left out and logged with why.
 */
export function startTrunkBoard(config: ApplianceConfig, store: Store, log: EventLog): TrunkBoard {
  const imported = importConfigPasswords(config, store);
  if (imported.length > 0) {
    log('trunk.password.stored', `trunk password${imported.length > 1 ? 's' : ''} of ${imported.join(', ')} sealed into the store (the config file may drop its password lines)`, { trunks: imported });
  }
  const outside = loadOutsideLine(config, store);
  for (const s of outside.skipped) log('trunk.entry.skipped', `${s.kind} ${s.name ?? `#${s.id}`} from the store is left out: ${s.reason}`, { id: s.id, kind: s.kind });
  return new TrunkBoard(outside.trunks);
}
