import dns from "node:dns";
import net from "node:net";
import { buildConnector } from "undici";

/**
 * Why an address may not be connected to (a label for the log), or `null` when it may.
 * Built from the address policy by the fetcher; see `address-policy.ts`.
 */
export type AddressCheck = (address: string) => string | null;

/** A connection was refused because the address it would use is not public. */
export class BlockedAddressError extends Error {
  override readonly name = "BlockedAddressError";

  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${host} (${address}): ${reason}`);
  }
}

export interface GuardedConnectOptions {
  check: AddressCheck;
  /** Fails a connection attempt (DNS included) that takes longer, in milliseconds. */
  timeoutMs: number;
  /** Resolves host names; `dns.lookup` unless a test controls resolution. */
  lookup: net.LookupFunction;
}

/**
 * An undici `connect` function that only opens sockets to addresses `check` accepts, judged on
 * the addresses the socket is actually given, at connect time (imgproxy does the same in the
 * `net.Dialer.Control` hook of its generichttp transport): a host name that resolves to a public address when validated and to
 * 127.0.0.1 a moment later (DNS rebinding) cannot slip through, because there is no "later".
 * Every redirect hop opens its connection through here too.
 */
export function guardedConnector({ check, timeoutMs, lookup }: GuardedConnectOptions): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup: guardedLookup(lookup, check) });
  return (options, callback) => {
    // net.connect skips the lookup for an IP literal (the WHATWG URL parser has already turned
    // 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 into 127.0.0.1), so literals are checked here.
    const literal = net.isIP(options.hostname) !== 0 ? check(options.hostname) : null;
    if (literal != null) {
      callback(new BlockedAddressError(options.hostname, options.hostname, literal), null);
      return;
    }
    connect(options, (err, socket) => {
      if (err != null) {
        callback(err, null);
        return;
      }
      // Belt and braces: should a future Node connect without asking the lookup, the address the
      // socket really reached is still judged before a single byte of the request is written.
      const reached = socket.remoteAddress ?? "";
      const reason = check(reached);
      if (reason != null) {
        socket.destroy();
        callback(new BlockedAddressError(options.hostname, reached, reason), null);
        return;
      }
      callback(null, socket);
    });
  };
}

/**
 * Wraps a resolver so that a host name is refused when ANY of its addresses is refused: with
 * happy eyeballs (`autoSelectFamily`, on by default since Node 20) net tries them all in turn.
 */
function guardedLookup(lookup: net.LookupFunction, check: AddressCheck): net.LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, result) => {
      if (err != null) {
        callback(err, "");
        return;
      }
      const addresses = typeof result === "string" ? [{ address: result, family: net.isIP(result) }] : result;
      const first = addresses[0];
      if (first == null) {
        callback(Object.assign(new Error(`no address for ${hostname}`), { code: dns.NOTFOUND }), "");
        return;
      }
      for (const { address } of addresses) {
        const reason = check(address);
        if (reason != null) {
          callback(new BlockedAddressError(hostname, address, reason), "");
          return;
        }
      }
      if (options.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
