import type { SipRequest, SipResponse, Source } from '../message/types.ts';
import type { Transactions } from '../pipeline/services.ts';
import type { Destination, SipTransport } from '../transport/transport.ts';
import { ClientTransaction, type ClientTransactionUser } from './client-transaction.ts';
import { ServerTransaction } from './server-transaction.ts';
import type { TransactionOwner } from './transaction-owner.ts';
import { clientKeyOfRequest, clientKeyOfResponse, type ClientKey } from './transaction-keys.ts';

/**
 * The transaction layer of one connection control section (RFC 3261 §17): the tables of
 * server and client transactions, matching (§17.1.3 responses to client transactions,
 * §17.2.3 requests to server transactions by the keys of transaction-keys.ts), and their
 * removal when they terminate. The state machines and timers are the transactions' own
 * (server-transaction.ts, client-transaction.ts); the proxy core and the pipeline use this.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<ClientKey, ClientTransaction>();
  private transport: SipTransport | undefined;
  /** Told when a server transaction has terminated (after it left the table): one listener, no closure per transaction. */
  onServerEnded?: (t: ServerTransaction) => void;
  /** Transactions created and not yet settled (transaction-owner.ts): counted, never scanned. */
  private unsettled = 0;
  private readonly serverOwner: TransactionOwner<ServerTransaction> = {
    settled: () => {
      this.unsettled--;
    },
    terminated: (t) => {
      if (this.servers.get(t.key) === t) this.servers.delete(t.key);
      this.onServerEnded?.(t);
    },
  };
  private readonly clientOwner: TransactionOwner<ClientTransaction> = {
    settled: () => {
      this.unsettled--;
    },
    terminated: (c) => {
      if (this.clients.get(c.key as ClientKey) === c) this.clients.delete(c.key as ClientKey);
    },
  };

  /** Connects the layer to its transport (the SIP service's, traced). */
  attach(transport: SipTransport): void {
    this.transport = transport;
  }

  /** Open server and client transactions, for the operating state. */
  get open(): number {
    return this.servers.size + this.clients.size;
  }

  /**
   * Transactions still waiting for a final response (what draining must let finish, and what
   * overload judges: load-monitor.ts). O(1): a count kept as transactions settle, since the
   * load monitor reads it at every tick and a burst leaves tens of thousands lingering (the
   * scan it replaces took 21 % of a worker's CPU at 400 digest REGISTERs/s).
   */
  get pending(): number {
    return this.unsettled;
  }

  /** The server transaction with this key (retransmission, ACK, CANCEL matching). */
  findServer(key: string): ServerTransaction | undefined {
    return this.servers.get(key);
  }

  /** A new server transaction for `req`; `onServerEnded` hears when it terminates. */
  createServer(key: string, req: SipRequest, source: Source): ServerTransaction {
    const st = new ServerTransaction(key, req, source, this.transport!, this.serverOwner);
    this.servers.set(st.key, st);
    this.unsettled++;
    return st;
  }

  /**
   * A new client transaction sending `req` (its top Via ours, with its branch) to `dest`, not
   * started yet; its responses reach `user`.
   */
  createClient(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction {
    const ct = new ClientTransaction(clientKeyOfRequest(req), req, dest, this.transport!, user, this.clientOwner);
    this.clients.set(ct.key as ClientKey, ct);
    this.unsettled++;
    return ct;
  }

  /**
   * Sends a request in a started client transaction (§17.1): one of our own (an OPTIONS
   * keep-alive, a trunk REGISTER) or a CANCEL of a branch; undefined when its key is in use
   * (a second CANCEL) or there is no transport yet.
   */
  request(req: SipRequest, dest: Destination, user: ClientTransactionUser): ClientTransaction | undefined {
    if (this.clients.has(clientKeyOfRequest(req)) || !this.transport) return undefined;
    const ct = this.createClient(req, dest, user);
    ct.start();
    return ct;
  }

  /** Hands a response to its client transaction (§17.1.3); false when none is ours. */
  matchResponse(res: SipResponse): boolean {
    const ct = this.clients.get(clientKeyOfResponse(res));
    if (!ct) return false;
    ct.receive(res);
    return true;
  }

  /** Stops every transaction timer (shutdown). */
  close(): void {
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
  }
}

/** The layer as the stages see it (pipeline/services.ts `Transactions`): the server side, by the request's key. */
export function transactionsPart(layer: TransactionLayer): Transactions {
  return {
    get openTransactions() {
      return layer.open;
    },
    findServer: (key) => layer.findServer(key),
    createServer: (ctx) => layer.createServer(ctx.txKey!, ctx.req, ctx.source),
  };
}
