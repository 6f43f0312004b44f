import { randomBytes } from 'node:crypto';
import type { ApplianceConfig } from '../../system/config/index.ts';
import { outsideForwardCheck, outsideMemberCheck } from './outside-forward-check.ts';
import { voicemailUriCheck } from './voicemail-uri-check.ts';
import { ApplianceError, ValidationError } from '../../system/errors/index.ts';
import type { ExtensionRecord, Store } from '../../system/store/index.ts';
import { DnsAdminService } from '../dns/admin-records.ts';
import type { BackupDocument, BackupExtension } from './backup-document.ts';
import { checkE164, checkNumber, cleanName } from './extension-service.ts';
import { checkPermissions } from './outside-call-permissions.ts';
import { RingGroupService } from './ring-group-service.ts';
import { CallFeaturesService } from './call-features-service.ts';
import { restoreOutsideLine } from './backup-outside-line.ts';

/** What a restore did. */
export interface RestoreResult {
  readonly extensions: number;
  readonly dnsRecords: number;
  /**
   * Extensions restored without a usable password (the backup had no secrets, or was made for
   * another SIP domain, so its HA1 hashes do not fit): they cannot register until the admin
   * sets a new password. An extension that exists now keeps its current password instead.
   */
  readonly needPassword: readonly string[];
  /** Trunks restored without their password (a backup without secrets): left out until `trunk password` sets one. */
  readonly trunksNeedPassword: readonly string[];
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Replaces the extensions and admin DNS records with the document's, in ONE transaction: every
 * row goes through the validators the CLI and the API use (extension number, display name,
 * E.164, uniqueness; DNS records only inside our zones, CNAME rules), and the first bad row
 * aborts the whole restore with a message naming it. Nothing else in the store is touched:
 * peers, settings (nonce secret, admin password), registrations and the event log stay.
 */
export function applyConfiguration(store: Store, config: ApplianceConfig, doc: BackupDocument): RestoreResult {
  const domain = config.sip.domain;
  const dns = new DnsAdminService(store, config);
  const needPassword: string[] = [];
  let trunksNeedPassword: string[] = [];
  store.db.transaction(() => {
    const current = new Map(store.extensions.list().map((e) => [e.number, e]));
    store.db.run('DELETE FROM call_features');
    store.db.run('DELETE FROM ring_group_members');
    store.db.run('DELETE FROM ring_groups');
    store.db.run('DELETE FROM extensions');
    store.db.run('DELETE FROM dns_records');
    doc.extensions.forEach((e, i) => row(`extension ${i + 1} ("${e.number}")`, () => {
      checkNumber(e.number);
      if (e.e164) checkE164(e.e164);
      const ha1 = credentials(e, current.get(e.number), domain, doc.secrets);
      if (!ha1) needPassword.push(e.number);
      store.extensions.add({
        number: e.number, displayName: cleanName(e.displayName), realm: domain, e164: e.e164 || null, digest: e.digest ?? 'default',
        ...checkPermissions(e.permissions ?? {}),
        ...(ha1 ?? unusableCredentials()),
      });
    }));
    doc.dnsRecords.forEach((r, i) => row(`DNS record ${i + 1} (${r.name} ${r.type} ${r.value})`, () => {
      // Names in a backup are absolute: a trailing dot keeps one outside our zones from being
      // read as relative to the office zone (it must be rejected, not moved).
      dns.add({ name: r.name.endsWith('.') ? r.name : `${r.name}.`, type: r.type, value: r.value, ttl: r.ttl });
    }));
    // Ring groups and forwards through the CLI's validation: groups first without their
    // fallback (it may name a group further down), then the fallbacks, then the forwards.
    const groups = new RingGroupService(store, config.emergency.numbers, config.voicemail.uri !== undefined, outsideMemberCheck(config, store));
    doc.ringGroups.forEach((g, i) => row(`ring group ${i + 1} ("${g.number}")`, () => groups.add({ ...g, fallback: null })));
    doc.ringGroups.forEach((g, i) => row(`ring group ${i + 1} ("${g.number}")`, () => {
      if (g.fallback) groups.update({ number: g.number, fallback: g.fallback });
    }));
    const features = new CallFeaturesService(store, outsideForwardCheck(config, store), voicemailUriCheck(config, store));
    doc.callFeatures.forEach((f, i) => row(`call features ${i + 1} ("${f.extension}")`, () => {
      features.forward(f.extension, 'always', f.forwardAlways);
      features.forward(f.extension, 'busy', f.forwardBusy);
      features.forward(f.extension, 'noanswer', f.forwardNoAnswer, f.noAnswerSeconds);
      features.forward(f.extension, 'unreachable', f.forwardUnreachable);
      features.dnd(f.extension, f.dnd);
      if (f.voicemailUri) features.voicemail(f.extension, f.voicemailUri);
    }));
    // The outside line added in the store, after the extensions and groups its numbers ring.
    trunksNeedPassword = restoreOutsideLine(store, config, doc.outsideLine, row);
    // What phones proved (SHA-256 learnt) stays only for extensions that are still there.
    store.db.run('DELETE FROM digest_learnt WHERE extension NOT IN (SELECT number FROM extensions)');
  }).immediate();
  return { extensions: doc.extensions.length, dnsRecords: doc.dnsRecords.length, needPassword, trunksNeedPassword };
}

/** Runs one row's validation and insert; any failure aborts the restore naming the row. */
function row(label: string, run: () => void): void {
  try {
    run();
  } catch (err) {
    const message = err instanceof ApplianceError ? err.message : String(err);
    throw new ValidationError(`backup rejected, nothing was changed: ${label.slice(0, 200)}: ${message}`, 'file');
  }
}

/** The HA1 pair to store, or undefined when the extension needs a new password. */
function credentials(e: BackupExtension, now: ExtensionRecord | undefined, domain: string, secrets: boolean): Pick<ExtensionRecord, 'ha1Md5' | 'ha1Sha256'> | undefined {
  if (secrets) {
    if (!HEX32.test(e.ha1Md5 ?? '') || !HEX64.test(e.ha1Sha256 ?? '')) {
      throw new ValidationError('its HA1 hashes are not 32 and 64 lower-case hex digits (RFC 2617 §3.2.2.2, RFC 7616 §3.4.2)', 'file');
    }
    // HA1 = H(user:realm:password): hashes made for another domain cannot verify here.
    if (e.realm === domain) return { ha1Md5: e.ha1Md5!, ha1Sha256: e.ha1Sha256! };
  }
  if (now && now.realm === domain) return { ha1Md5: now.ha1Md5, ha1Sha256: now.ha1Sha256 };
  return undefined;
}

/** Random HA1s no password produces: the extension exists but nobody can register as it. */
function unusableCredentials(): Pick<ExtensionRecord, 'ha1Md5' | 'ha1Sha256'> {
  return { ha1Md5: randomBytes(16).toString('hex'), ha1Sha256: randomBytes(32).toString('hex') };
}
