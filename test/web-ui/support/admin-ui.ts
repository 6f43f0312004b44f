import type { Page } from 'playwright-core';
import { startWebServer, type RunningWebServer } from '../../../appliance/web/server.ts';
import { startTestAppliance, type TestAppliance, type TestOptions } from '../../support/appliance.ts';
import { startBaresip, type BaresipPhone } from '../../support/baresip.ts';
import { adminPage, setUpAdmin, sharedChromium } from '../../support/chromium.ts';
import { startTestControlSection, type TestControlSection } from '../../support/control-section.ts';
import { freePort } from '../../support/sipp.ts';
import { StoreView } from '../../appliance/web/support/store-view.ts';

/**
 * The set-ups the admin UI's browser tests share: the web server over an in-process appliance's
 * store (the test sets calls, traces and peers in a {@link StoreView}), or over a real control
 * section with baresip phones; each with a desktop page in the run's one Chromium.
 */

/** An in-process appliance, the admin web server over its store, and a page. */
export interface StoreViewUi {
  readonly app: TestAppliance;
  readonly view: StoreView;
  readonly web: RunningWebServer;
  readonly page: Page;
  stop(): Promise<void>;
}

/** Starts {@link StoreViewUi} on `host`; the web server listens on `webListen` (default `host`), port 0. */
export async function startStoreViewUi(host: string, opts: { appliance?: TestOptions; webListen?: string } = {}): Promise<StoreViewUi> {
  const app = await startTestAppliance(host, opts.appliance);
  const config = { ...app.config, sip: { ...app.config.sip, port: app.port }, web: { ...app.config.web, listen: opts.webListen ?? host, port: 0 } };
  const view = new StoreView(app.app.store, config);
  const web = await startWebServer({ config, store: app.app.store, view });
  const page = await adminPage(await sharedChromium());
  return {
    app, view, web, page,
    async stop() {
      await page.context().close();
      await web.stop();
      await app.stop();
    },
  };
}

/** A control section with worker processes, its extensions named, the admin set up, and baresip phones on demand. */
export interface PhonesUi {
  readonly cs: TestControlSection;
  readonly web: RunningWebServer;
  readonly page: Page;
  /** The phones started so far, in order. */
  readonly phones: readonly BaresipPhone[];
  /** Starts baresip as `user` on `ip` and waits for its registration. */
  phone(user: string, ip: string): Promise<BaresipPhone>;
  stop(): Promise<void>;
}

export interface PhonesUiOptions {
  /** Extension number → { password, display name }. */
  readonly extensions: Record<string, { password: string; name: string }>;
  readonly adminPassword: string;
  /** `[control]` lines (default: two workers). */
  readonly control?: string;
  /** Seconds of the tone each phone plays (a call must not outlast it). */
  readonly toneSeconds: number;
  /** Where the page's dialogs' texts go (each dialog is accepted). */
  readonly dialogs?: string[];
}

export async function startPhonesUi(host: string, o: PhonesUiOptions): Promise<PhonesUi> {
  const extensions = Object.fromEntries(Object.entries(o.extensions).map(([n, e]) => [n, e.password]));
  const cs = await startTestControlSection(host, { extensions, ...(o.control ? { control: o.control } : {}) });
  for (const [n, e] of Object.entries(o.extensions)) cs.control.store.extensions.update(n, { displayName: e.name });
  const web = await startWebServer({ config: cs.config, store: cs.control.store, view: cs.control.view });
  const page = await adminPage(await sharedChromium(), o.dialogs);
  await setUpAdmin(page, web.url, web.setupToken!, o.adminPassword);
  const phones: BaresipPhone[] = [];
  return {
    cs, web, page, phones,
    async phone(user, ip) {
      const p = startBaresip({ ip, port: await freePort(ip), user, password: o.extensions[user]!.password, domain: cs.config.sip.domain, proxy: `${host}:${cs.port}`, toneSeconds: o.toneSeconds });
      phones.push(p);
      await p.waitFor(/200 OK .*\[\d+ bindings?\]/, 10000);
      return p;
    },
    async stop() {
      for (const p of phones.splice(0)) await p.stop();
      await page.context().close();
      await web.stop();
      await cs.stop();
    },
  };
}
