import { randomInt } from 'node:crypto';
import { ValidationError } from '../../system/errors/index.ts';
import type { ExtensionRecord, Store } from '../../system/store/index.ts';
import { csvCell } from './call-records-export.ts';
import { ExtensionService } from './extension-service.ts';

/** The largest import an admin sends (an office's extensions fit many times over). */
export const MAX_IMPORT_BYTES = 256 * 1024;
export const MAX_IMPORT_ROWS = 1000;
const COLUMNS = ['number', 'name', 'password'] as const;

/** One refused row: its line in the file (the header is line 1), the column and why. */
export interface RowError { readonly row: number; readonly field: string; readonly message: string }
/** One extension the import made; `password` only when the appliance generated it (shown once). */
export interface Imported { readonly number: string; readonly displayName: string; readonly password?: string }

/**
 * RFC 4180 records: fields separated by commas, quoted with `"` (a quote inside doubled), records
 * ended by CRLF or LF. An unterminated quote or text after a closing quote is an error naming
 * the line, never a guess.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let line = 1;
  let i = 0;
  const endCell = () => { row.push(cell); cell = ''; };
  const endRow = () => { endCell(); rows.push(row); row = []; line++; };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"' && cell === '') {
      const start = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new ValidationError(`line ${start}: a quoted field is not closed`, 'file');
        const q = text[i]!;
        if (q === '"') {
          if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
          i++;
          break;
        }
        if (q === '\n') line++;
        cell += q;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') throw new ValidationError(`line ${line}: text after a closing quote`, 'file');
      continue;
    }
    if (c === ',') endCell();
    else if (c === '\n') endRow();
    else if (c === '\r' && text[i + 1] === '\n') { endRow(); i++; }
    else cell += c;
    i++;
  }
  if (cell !== '' || row.length > 0) endRow();
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

/** A strong random password a phone can take (16 characters of four classes; the UI's generator's alphabet). */
export function generateExtensionPassword(): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.!+=@'];
  const all = sets.join('');
  const out = sets.map((s) => s[randomInt(s.length)]!);
  while (out.length < 16) out.push(all[randomInt(all.length)]!);
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join('');
}

/**
 * Imports extensions from CSV text (`number,name,password`, a header line first, columns in any
 * order, name and password optional; an empty password is generated). Every row goes through
 * ExtensionService (the CLI's checks); numbers twice in the file or existing already are refused.
 * All or nothing: any bad row, and nothing changes; the errors name every bad row.
 */
export function importExtensionsCsv(store: Store, service: ExtensionService, text: string): { imported: Imported[] } | { errors: RowError[] } {
  if (text.length > MAX_IMPORT_BYTES) throw new ValidationError(`the file is larger than ${MAX_IMPORT_BYTES / 1024} KiB`, 'file');
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
  if (!header.includes('number')) throw new ValidationError('the first line must name the columns: number,name,password', 'file');
  const unknown = header.find((h) => !(COLUMNS as readonly string[]).includes(h));
  if (unknown !== undefined) throw new ValidationError(`unknown column "${unknown.slice(0, 32)}": use number, name, password`, 'file');
  if (rows.length === 0) throw new ValidationError('the file has no extensions after its header line', 'file');
  if (rows.length > MAX_IMPORT_ROWS) throw new ValidationError(`at most ${MAX_IMPORT_ROWS} extensions in one file`, 'file');
  const col = (r: string[], name: string) => (header.indexOf(name) >= 0 ? (r[header.indexOf(name)] ?? '').trim() : '');
  const errors: RowError[] = [];
  const imported: Imported[] = [];
  const seen = new Set<string>();
  // One transaction: the first error undoes every row before it, so a file goes in whole or not at all.
  const Abort = class extends Error {};
  try {
    store.db.transaction(() => {
      rows.forEach((r, i) => {
        const line = i + 2;
        if (r.length > header.length) return void errors.push({ row: line, field: 'file', message: `${r.length} columns, the header has ${header.length}` });
        const number = col(r, 'number');
        const displayName = col(r, 'name');
        const given = col(r, 'password');
        if (seen.has(number)) return void errors.push({ row: line, field: 'number', message: `extension ${number} is twice in the file` });
        seen.add(number);
        const password = given || generateExtensionPassword();
        try {
          service.add({ number, displayName, password });
          imported.push({ number, displayName, ...(given ? {} : { password }) });
        } catch (err) {
          const e = err as ValidationError;
          errors.push({ row: line, field: typeof e.details?.field === 'string' ? e.details.field : 'number', message: e.message });
        }
      });
      if (errors.length > 0) throw new Abort();
    })();
  } catch (err) {
    if (err instanceof Abort) return { errors };
    throw err;
  }
  return { imported };
}

/** The extensions as CSV (RFC 4180), each cell through csvCell: a name a spreadsheet would run as a formula gets a leading `'`. */
export function extensionsCsv(exts: readonly ExtensionRecord[], registered: (number: string) => number): string {
  const head = ['number', 'name', 'e164', 'call_class', 'max_outside_calls', 'outside_calls_per_hour', 'registered_devices'];
  const rows = exts.map((e) => [e.number, e.displayName, e.e164, e.callClass, e.maxOutsideCalls, e.outsideCallsPerHour, registered(e.number)].map(csvCell).join(','));
  return [head.join(','), ...rows].join('\r\n') + '\r\n';
}
