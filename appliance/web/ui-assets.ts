import type { HTMLBundle } from 'bun';
import { basename, resolve } from 'node:path';
// An HTML import: `bun build --compile` bundles the page and embeds it (see uiAssets).
import page from '../../web-ui/index.html';

/** One static file of the admin UI, held in memory. */
export interface Asset {
  readonly body: Uint8Array<ArrayBuffer>;
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

/**
 * The page and what it loads (script, stylesheet, icon), by the path the page names them with;
 * the page itself at `/`. Built once per process: in the executable (`npm run build`) Bun
 * bundled web-ui/index.html at build time and embedded the outputs (the HTML import's `files`);
 * from the source tree there are none, so Bun.build bundles the same entry here.
 */
export function uiAssets(): Promise<Map<string, Asset>> {
  built ??= (page.files?.length ? embeddedAssets(page.files) : bundledAssets());
  return built;
}

async function embeddedAssets(files: NonNullable<HTMLBundle['files']>): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const f of files) {
    const asset = { body: await Bun.file(f.path).bytes(), type: f.headers['content-type'] };
    assets.set(pathOf(f.path, asset.type), asset);
  }
  return assets;
}

async function bundledAssets(): Promise<Map<string, Asset>> {
  const out = await Bun.build({ entrypoints: [resolve(UI_DIR, 'index.html')], target: 'browser', minify: true });
  if (!out.success) throw new Error(`web UI build failed: ${out.logs.map(String).join('\n')}`);
  const assets = new Map<string, Asset>();
  for (const o of out.outputs) {
    const asset = { body: new Uint8Array(await o.arrayBuffer()), type: o.type };
    assets.set(pathOf(o.path, asset.type), asset);
  }
  return assets;
}

/** The page at `/`; the files it names at `/<file name>` (Bun writes them next to the page). */
function pathOf(file: string, type: string): string {
  return type.startsWith('text/html') ? '/' : `/${basename(file)}`;
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
