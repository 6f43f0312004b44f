// The encoder alone (qrcode's core): the package's entry also loads its file and PNG renderers,
// which require Node's fs and break `bun build --compile`'s browser bundle of the web UI.
import { create } from 'qrcode/lib/core/qrcode.js';
import { s } from './dom.ts';

/** Quiet zone around the symbol, in modules (ISO/IEC 18004 §6.3.8 asks for 4). */
const QUIET = 4;

/**
 * A QR code of `text` as SVG, drawn in the page (no network, no image file, no innerHTML): the
 * `qrcode` package only computes the module matrix (error correction M, the smallest version
 * that holds the text); each dark module is one square of a single path.
 */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) if (modules.get(y, x)) d += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
  }
  const side = n + 2 * QUIET;
  return s('svg', { class: 'qr', viewBox: `0 0 ${side} ${side}`, role: 'img', 'aria-label': label, 'shape-rendering': 'crispEdges', 'data-modules': n },
    s('rect', { width: side, height: side, fill: '#fff' }),
    s('path', { d, fill: '#000' }));
}
