import type { ApplianceConfig } from '../../system/config/index.ts';
import { openStore } from '../../system/store/index.ts';
import { OutsideLineService } from '../admin/outside-line-service.ts';
import type { OutsideLine } from '../trunks/outside-line.ts';
import type { CliOutput } from './command.ts';
import { askRunningAppliance } from './control-client.ts';

/** The merged outside line (config file first, then the store's), read from the store once. */
export function viewOutsideLine(config: ApplianceConfig): OutsideLine {
  const store = openStore(config.dataDir);
  try {
    return new OutsideLineService(store, config).view();
  } finally {
    store.close();
  }
}

/**
 * One CLI edit of the outside line: the store opened for it and closed after, then the running
 * appliance told (`trunk`, `route` and `inbound` verbs other than `list`).
 */
export async function editOutsideLine(config: ApplianceConfig, io: CliOutput, edit: (service: OutsideLineService) => void | Promise<void>): Promise<void> {
  const store = openStore(config.dataDir);
  try {
    await edit(new OutsideLineService(store, config));
  } finally {
    store.close();
  }
  await tellOutsideLineChanged(config, io);
}

/**
 * After a change to the outside line in the store: the running appliance reads it again
 * (every worker; the registering one registers a new trunk), or it does so when it starts.
 */
export async function tellOutsideLineChanged(config: ApplianceConfig, io: CliOutput): Promise<void> {
  const told = await askRunningAppliance(config, '/control/store-changed');
  if (told.reached && told.status === 200) io.out('the running appliance uses it now');
  else io.out(`the appliance was not told (${told.reached ? `answer ${told.status}` : told.reason}); it uses the change when it starts`);
}
