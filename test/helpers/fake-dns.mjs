// Preloaded into a service process (NODE_OPTIONS=--import) so that a test controls what a host
// name resolves to, through the process's real dns.lookup and nothing of the service's own:
// FAKE_DNS="evil.test=127.0.0.1,other.test=::1".
import dns from "node:dns";

const table = new Map(
  (process.env.FAKE_DNS ?? "")
    .split(",")
    .filter((pair) => pair.includes("="))
    .map((pair) => pair.split("=")),
);
const realLookup = dns.lookup;

dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === "function" ? options : callback;
  const opts = typeof options === "object" && options != null ? options : {};
  const address = table.get(hostname);
  if (address == null) return realLookup.call(dns, hostname, options, callback);
  const family = address.includes(":") ? 6 : 4;
  process.nextTick(() => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)));
  return {};
};
