import type { ApplianceConfig } from '../../../system/config/index.ts';
import type { Store } from '../../../system/store/index.ts';
import type { ApplianceView } from '../appliance-view.ts';

/** What every API module is built from. */
export interface ApiDeps {
  readonly config: ApplianceConfig;
  readonly store: Store;
  readonly view: ApplianceView;
  readonly print: (line: string) => void;
}
