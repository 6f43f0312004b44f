/** Types for the `qrcode` package's encoder module, imported alone by qr.ts (its types are the package's own). */
declare module 'qrcode/lib/core/qrcode.js' {
  export { create } from 'qrcode';
}
