import type { ApplianceConfig } from '../../system/config/index.ts';
import type { CliOutput } from './command.ts';
import { askRunningAppliance } from './control-client.ts';

/**
 * After a change to the outside line in the store: the running appliance reads it again
 * (every worker; the registering one registers a new trunk), or it does so when it starts.
 */
export async function tellOutsideLineChanged(config: ApplianceConfig, io: CliOutput): Promise<void> {
  const told = await askRunningAppliance(config, '/control/store-changed');
  if (told.reached && told.status === 200) io.out('the running appliance uses it now');
  else io.out(`the appliance was not told (${told.reached ? `answer ${told.status}` : told.reason}); it uses the change when it starts`);
}
