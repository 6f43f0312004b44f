import type { Database } from 'bun:sqlite';

/**
 * An extension's call features (issue 15): do-not-disturb and the forward targets (an
 * extension or a ring group number; null: not set). An extension without a row has none.
 */
export interface CallFeatures {
  readonly extension: string;
  readonly dnd: boolean;
  readonly forwardAlways: string | null;
  /** On 486/600 from every phone, and on do-not-disturb. */
  readonly forwardBusy: string | null;
  /** After `noAnswerSeconds` of ringing. */
  readonly forwardNoAnswer: string | null;
  readonly noAnswerSeconds: number;
  /** No binding, or 408/480 from every phone. */
  readonly forwardUnreachable: string | null;
  /** Its own voicemail server (a SIP URI), in place of `[voicemail] uri`; null: the office's. */
  readonly voicemailUri: string | null;
}

/** The settable fields. */
export type CallFeaturesPatch = Partial<Omit<CallFeatures, 'extension'>>;

interface Row {
  extension: string; dnd: number; forward_always: string | null; forward_busy: string | null;
  forward_noanswer: string | null; noanswer_seconds: number; forward_unreachable: string | null; voicemail_uri: string | null;
}

/** What an extension has when nothing is set. */
export const NO_FEATURES = { dnd: false, forwardAlways: null, forwardBusy: null, forwardNoAnswer: null, noAnswerSeconds: 20, forwardUnreachable: null, voicemailUri: null } as const;

/** Reads and writes the call_features table. */
export class CallFeaturesStore {
  private readonly byExtension;
  constructor(private readonly db: Database) {
    this.byExtension = db.query<Row, [string]>('SELECT * FROM call_features WHERE extension = ?');
  }

  /** The extension's features; the defaults (nothing set) when it has no row. */
  get(extension: string): CallFeatures {
    const r = this.byExtension.get(extension);
    if (!r) return { extension, ...NO_FEATURES };
    return {
      extension, dnd: r.dnd !== 0, forwardAlways: r.forward_always, forwardBusy: r.forward_busy,
      forwardNoAnswer: r.forward_noanswer, noAnswerSeconds: r.noanswer_seconds, forwardUnreachable: r.forward_unreachable,
      voicemailUri: r.voicemail_uri,
    };
  }

  /** Every extension that has something set. */
  list(): CallFeatures[] {
    return this.db.query<{ extension: string }, []>('SELECT extension FROM call_features ORDER BY extension').all().map((r) => this.get(r.extension));
  }

  /** Changes some features of an extension (the caller checked that it exists). */
  set(extension: string, patch: CallFeaturesPatch, now = Date.now()): CallFeatures {
    const n = { ...this.get(extension), ...patch };
    this.db.query(`INSERT INTO call_features (extension, dnd, forward_always, forward_busy, forward_noanswer, noanswer_seconds, forward_unreachable,
      voicemail_uri, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (extension) DO UPDATE SET dnd = excluded.dnd,
      forward_always = excluded.forward_always, forward_busy = excluded.forward_busy, forward_noanswer = excluded.forward_noanswer,
      noanswer_seconds = excluded.noanswer_seconds, forward_unreachable = excluded.forward_unreachable, voicemail_uri = excluded.voicemail_uri,
      updated_at = excluded.updated_at`)
      .run(extension, n.dnd ? 1 : 0, n.forwardAlways, n.forwardBusy, n.forwardNoAnswer, n.noAnswerSeconds, n.forwardUnreachable, n.voicemailUri, now);
    return this.get(extension);
  }

  /** Forgets an extension's features (it was removed). */
  remove(extension: string): void {
    this.db.query('DELETE FROM call_features WHERE extension = ?').run(extension);
  }
}
