import { createHmac } from 'node:crypto';
import { parseSourceKey, sourceKey, type FlowAddress } from '../../../system/store/source-key.ts';
import { sameDigest } from '../auth/digest.ts';
import type { Flows } from '../pipeline/services.ts';

/** What starts every flow token, so a Route's user part is told from anything else at once. */
export const FLOW_TOKEN_PREFIX = 'flow.';

/** The shape of a token (sip/security): prefix, base64url of the source key, 20 hex of HMAC. */
const TOKEN = /^flow\.([A-Za-z0-9_-]{8,120})\.([0-9a-f]{20})$/;

/**
 * Flow tokens (RFC 5626 §5.2): the member that holds a phone's TCP/TLS connection names it in
 * a token a peer puts in the user part of its Route to us (`sip:<token>@<our SIP address>;lr`).
 * The token is the flow's source key (`tcp:addr:port`, system/store/source-key.ts) and an
 * HMAC of it, so we need no table to resolve it and a stranger cannot make one up: the key is
 * derived from the dialog secret (shared by every worker and kept across restarts) under a
 * label of its own, so no dialog token (an HMAC of `Call-ID \n tag`, dialog-token.ts) is ever a
 * flow token's. 80 bits of MAC, as the dialog tokens.
 */
export class FlowTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('flow-token key').digest();
  }

  /** The token naming a stream flow (a TCP/TLS phone's connection). */
  issue(flow: FlowAddress): string {
    const source = sourceKey(flow);
    return `${FLOW_TOKEN_PREFIX}${Buffer.from(source).toString('base64url')}.${this.mac(source)}`;
  }

  /**
   * The stream flow a token names, or undefined when it is not one we issued (bad shape, bad
   * MAC, a UDP or unreadable source): RFC 5626 §5.3.1 answers such a request 403.
   */
  read(token: string): FlowAddress | undefined {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const source = Buffer.from(m[1], 'base64url').toString();
    if (!sameDigest(this.mac(source), m[2])) return undefined;
    const flow = parseSourceKey(source);
    return flow && flow.transport !== 'udp' && sourceKey(flow) === source ? flow : undefined;
  }

  private mac(source: string): string {
    return createHmac('sha256', this.key).update(source).digest('hex').slice(0, 20);
  }
}

/** True when a URI user part has the shape of a flow token (we check it is ours with `read`). */
export function isFlowToken(user: string | undefined): user is string {
  return typeof user === 'string' && user.startsWith(FLOW_TOKEN_PREFIX);
}

/** A token's shape, for tokens a peer replicates (we cannot check a peer's MAC, only that it is safe in a URI). */
export function wellFormedFlowToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

/**
 * The flows as the stages see them (pipeline/services.ts `Flows`): our tokens, and whether a
 * connection is open here or in a sibling worker (transport/tcp-transport.ts `siblingHolds`).
 */
export function flowsPart(tokens: FlowTokens, alive: (connection: string) => boolean): Flows {
  return {
    flows: {
      read: (token) => tokens.read(token),
      alive,
      issue: (flow) => tokens.issue(flow),
    },
  };
}
