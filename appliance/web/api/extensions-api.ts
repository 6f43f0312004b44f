import { ApplianceError, ValidationError } from '../../../system/errors/index.ts';
import type { ExtensionRecord } from '../../../system/store/index.ts';
import { ExtensionService } from '../../admin/extension-service.ts';
import { extensionsCsv, importExtensionsCsv, type Imported, type RowError } from '../../admin/extension-csv.ts';
import { errorResponse, Fields, json, noContent, readJsonObject } from '../http.ts';
import type { Route } from '../router.ts';
import type { ApiDeps } from './api-deps.ts';
import { editedOn } from './edited-on.ts';
import { extensionOfAor } from '../../sip/registrar/registered-contacts-view.ts';
import { ownSipHost } from '../../dns/zone-data.ts';

/** An extension as the API shows it: never the HA1 hashes. `editedOn`: the member of the peer group its last edit was made on (issue 19). */
export function presentExtension(e: ExtensionRecord, registered: number, sha256Learnt: readonly string[], editedOn: string | null = null) {
  return {
    editedOn,
    number: e.number, displayName: e.displayName, e164: e.e164, digest: e.digest, sha256Learnt, createdAt: e.createdAt, updatedAt: e.updatedAt, registered,
    callClass: e.callClass, maxOutsideCalls: e.maxOutsideCalls, outsideCallsPerHour: e.outsideCallsPerHour, outboundCallerId: e.outboundCallerId,
  };
}

/** An extension of `GET /api/extensions` (and the reply to a POST or PUT): the UI's `Extension`. */
export type ExtensionView = ReturnType<typeof presentExtension>;

/** The outside-call permission fields of a request body (validated by outside-call-permissions.ts). */
const PERMISSION_FIELDS = ['callClass', 'maxOutsideCalls', 'outsideCallsPerHour', 'outboundCallerId'];
function permissions(f: Fields) {
  return {
    callClass: f.string('callClass', { max: 16 }),
    maxOutsideCalls: f.int('maxOutsideCalls') ?? undefined,
    outsideCallsPerHour: f.int('outsideCallsPerHour') ?? undefined,
    outboundCallerId: f.nullableString('outboundCallerId'),
  };
}

/** Extensions CRUD through ExtensionService (the CLI's validation), plus what a phone needs. */
export function extensionRoutes({ config, store, view }: ApiDeps): Route[] {
  const service = new ExtensionService(store, config.sip.domain, config.emergency.numbers);
  const countByNumber = () => {
    const counts = new Map<string, number>();
    for (const b of view.registrations()) {
      const n = extensionOfAor(b.aor, config.sip.domain);
      if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    return counts;
  };
  const changed = () => view.storeChanged();
  return [
    {
      method: 'GET', path: '/api/extensions', handler: () => {
        const counts = countByNumber();
        return json(service.list().map((e) => presentExtension(e, counts.get(e.number) ?? 0, service.learntSha256(e.number), editedOn({ config, store }, 'extension', e.number))));
      },
    },
    {
      method: 'POST', path: '/api/extensions', handler: async ({ req }) => {
        const f = new Fields(await readJsonObject(req), ['number', 'password', 'displayName', 'e164', 'digest', ...PERMISSION_FIELDS]);
        const rec = service.add({
          number: f.string('number', { required: true, max: 16 })!,
          password: f.string('password', { required: true, max: 128 }),
          displayName: f.string('displayName', { max: 200 }) ?? '',
          e164: f.nullableString('e164') || null,
          digest: f.string('digest', { max: 16 }),
          ...permissions(f),
        });
        changed();
        return json(presentExtension(rec, 0, []), 201);
      },
    },
    {
      // CSV import (number,name,password; an empty password is generated): all rows or none.
      method: 'POST', path: '/api/extensions/import', handler: async ({ req }) => {
        if (!/^text\/csv\s*(;|$)/i.test(req.headers.get('content-type') ?? '')) throw new ValidationError('send the file as text/csv', 'file');
        const result = importExtensionsCsv(store, service, await req.text());
        if ('errors' in result) {
          const first = result.errors.slice(0, 3).map((e) => `line ${e.row}: ${e.message}`).join('; ');
          const why = `import refused, nothing was changed: ${first}${result.errors.length > 3 ? `; and ${result.errors.length - 3} more` : ''}`;
          return errorResponse(new ValidationError(why, 'file'), undefined, { rows: result.errors.slice(0, 100) });
        }
        changed();
        store.events.append('admin.extension.import', `${result.imported.length} extensions imported from CSV: ${result.imported.map((e) => e.number).join(', ').slice(0, 300)}`,
          { count: result.imported.length, generatedPasswords: result.imported.filter((e) => e.password).length });
        const reply: ImportView = { imported: result.imported };
        return json(reply, 201);
      },
    },
    {
      // CSV export; a cell a spreadsheet would run as a formula gets a leading ' (admin/call-records-export.ts csvCell).
      method: 'GET', path: '/api/extensions.csv', handler: () => {
        const counts = countByNumber();
        return new Response(extensionsCsv(service.list(), (n) => counts.get(n) ?? 0), {
          headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="extensions.csv"', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
        });
      },
    },
    {
      method: 'PUT', path: '/api/extensions/:number', handler: async ({ req, params }) => {
        const f = new Fields(await readJsonObject(req), ['password', 'displayName', 'e164', 'digest', ...PERMISSION_FIELDS]);
        const password = f.string('password', { max: 128 });
        const rec = service.update({
          number: params.number,
          password: password === '' ? undefined : password,
          displayName: f.string('displayName', { max: 200 }),
          e164: f.nullableString('e164'),
          digest: f.string('digest', { max: 16 }),
          ...permissions(f),
        });
        changed();
        return json(presentExtension(rec, countByNumber().get(rec.number) ?? 0, service.learntSha256(rec.number)));
      },
    },
    {
      method: 'DELETE', path: '/api/extensions/:number', handler: ({ params }) => {
        service.remove(params.number);
        changed();
        return noContent();
      },
    },
    {
      // What a phone needs to register (README "A phone's settings").
      method: 'GET', path: '/api/provisioning', handler: () => json(presentProvisioning(config)),
    },
  ];
}

/** `GET /api/provisioning`: what a phone needs to register (README "A phone's settings"). */
export function presentProvisioning(config: ApiDeps['config']) {
  return {
    server: config.sip.advertise,
    // Dual stack: every family's address, the primary first (docs/SIP.md "IPv6").
    servers: config.sip.listenAddresses.map((l) => l.advertise),
    port: config.sip.port,
    transports: config.sip.transports,
    tlsPort: config.sip.transports.includes('tls') ? config.sip.tls.port : null,
    domain: config.sip.domain,
    realm: config.sip.domain,
    user: 'the extension number',
    // The name our DNS function answers with this appliance's address (dns/zone-data.ts
    // ownSipHost), when it serves the office zone; phones resolve it only with the
    // appliance as their DNS server (port 53).
    dnsName: config.dns.enabled ? ownSipHost(config) : null,
    dnsPort: config.dns.enabled ? config.dns.port : null,
  };
}

/** The phone setup card's facts: the API's presentProvisioning. */
export type ProvisioningView = ReturnType<typeof presentProvisioning>;

/** `POST /api/extensions/import` (201): the extensions made, with the passwords the appliance generated. */
export interface ImportView {
  readonly imported: readonly Imported[];
}

/** A refused import's error body lists the bad lines (`error.rows`, at most 100). */
export type ImportRowError = RowError;

/** Thrown when a route is asked for something the view does not have. */
export const notFound = (what: string) => new ApplianceError('not-found', what);
