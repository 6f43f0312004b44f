import { resolve } from 'node:path';

/** One static file of the admin UI, held in memory. */
export interface Asset {
  readonly body: string;
  readonly type: string;
}

const UI_DIR = resolve(import.meta.dir, '../../web-ui');

/**
 * The page forbids inline script and style and any other origin: together with the UI building
 * every node with textContent (never innerHTML), injected data cannot run.
 */
export const PAGE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
].join('; ');

let built: Promise<Map<string, Asset>> | undefined;

/** Bundles web-ui/app.ts with Bun.build (once per process) and loads the page and stylesheet. */
export function uiAssets(): Promise<Map<string, Asset>> {
  built ??= (async () => {
    const out = await Bun.build({ entrypoints: [resolve(UI_DIR, 'app.ts')], target: 'browser', minify: true });
    if (!out.success || !out.outputs[0]) throw new Error(`web UI build failed: ${out.logs.map(String).join('\n')}`);
    return new Map<string, Asset>([
      ['/', { body: await Bun.file(resolve(UI_DIR, 'index.html')).text(), type: 'text/html; charset=utf-8' }],
      ['/app.js', { body: await out.outputs[0].text(), type: 'text/javascript; charset=utf-8' }],
      ['/style.css', { body: await Bun.file(resolve(UI_DIR, 'style.css')).text(), type: 'text/css; charset=utf-8' }],
      ['/favicon.svg', { body: await Bun.file(resolve(UI_DIR, 'favicon.svg')).text(), type: 'image/svg+xml' }],
    ]);
  })();
  return built;
}

export function assetResponse(asset: Asset): Response {
  return new Response(asset.body, {
    headers: {
      'Content-Type': asset.type,
      'Content-Security-Policy': PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    },
  });
}
