import { ApplianceError, statusFor } from '../../system/errors/index.ts';
import type { FeatureCodesConfig } from '../../system/config/index.ts';
import type { Store } from '../../system/store/index.ts';
import type { FeatureCodeControl, FeatureResult } from '../sip/pipeline/context.ts';
import { CallFeaturesService } from './call-features-service.ts';
import type { OutsideForwardCheck } from './outside-forward-check.ts';

/**
 * Feature codes applied to the store through the same service and validation as the CLI
 * and the API (call-features-service.ts): a forward target the admin could not set cannot
 * be set from the phone either. The change counts from the next call on every worker (each
 * call reads the store).
 */
export function featureCodeControl(store: Store, codes: FeatureCodesConfig, outside?: OutsideForwardCheck): FeatureCodeControl {
  const features = new CallFeaturesService(store, outside);
  return {
    codes,
    apply(extension, action): FeatureResult {
      try {
        switch (action.kind) {
          case 'forward-always':
            features.forward(extension, 'always', action.target);
            return { ok: true, text: `Forward always on to ${action.target}` };
          case 'forward-always-off':
            features.forward(extension, 'always', null);
            return { ok: true, text: 'Forward always off' };
          case 'dnd':
            features.dnd(extension, action.on);
            return { ok: true, text: `Do not disturb ${action.on ? 'on' : 'off'}` };
        }
      } catch (err) {
        if (!(err instanceof ApplianceError)) throw err;
        // A refused target is the phone's request refused (403), not a malformed SIP request
        // (400): invalid input from a feature code is `forbidden`; the rest (gone: 404) as mapped.
        const code = err.code === 'invalid-input' ? 'forbidden' : err.code;
        return { ok: false, status: statusFor(code).sip, text: err.message };
      }
    },
  };
}
