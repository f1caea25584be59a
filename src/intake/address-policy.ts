import ipaddr from "ipaddr.js";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/*
 * Which addresses the service may connect to when it fetches a URL for a client (issue 5,
 * shared/API.md "URLs fetched by the service"). Default-deny: an address is public only when
 * ipaddr.js files it under "unicast" (every IANA special-purpose range it knows is something
 * else), and for IPv6 only inside global unicast 2000::/3. IPv6 forms that carry an IPv4 address
 * are unwrapped and the IPv4 address is checked too, as imgproxy's privatenet does
 * (https://github.com/imgproxy/imgproxy/blob/master/privatenet/privatenet.go).
 */

/** RFC 4291 §2.4: the only IPv6 block handed out for global unicast. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** RFC 6052 §2.1: on a DNS64/NAT64 network every IPv4-only host is reached through this prefix. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR("64:ff9b::/96");

/**
 * Why `ip` is not a public address (a short label for the log, never for the client), or `null`
 * when it is public. Anything that does not parse as an IP address is not public.
 */
export function nonPublicReason(ip: string): string | null {
  const addr = parseAddress(ip);
  if (addr == null) return "not an IP address";
  return addr instanceof ipaddr.IPv4 ? ipv4Reason(addr) : ipv6Reason(addr);
}

/** True when the service may connect to `ip` (see {@link nonPublicReason}). */
export function isPublicAddress(ip: string): boolean {
  return nonPublicReason(ip) === null;
}

function ipv4Reason(addr: IPv4): string | null {
  const range = addr.range();
  return range === "unicast" ? null : range;
}

function ipv6Reason(addr: IPv6): string | null {
  const range = addr.range();
  // The socket of a dual-stack host sends ::ffff:a.b.c.d to a.b.c.d: it is that IPv4 address.
  if (range === "ipv4Mapped") return embeddedReason("IPv4-mapped", addr.toIPv4Address());
  for (const [form, ipv4] of embeddedIPv4(addr, range)) {
    const reason = embeddedReason(form, ipv4);
    if (reason != null) return reason;
  }
  // NAT64 well-known prefix with a public IPv4 inside: how IPv6-only deployments reach IPv4 sites.
  if (addr.match(NAT64_WELL_KNOWN)) return null;
  // 6to4, Teredo and the NAT64 local-use prefix end here even with a public IPv4 inside:
  // transition mechanisms (6to4 relays are deprecated by RFC 7526), never a file server's address.
  if (range !== "unicast") return range;
  // ipaddr.js calls the unassigned rest of the space "unicast" too (IPv4-compatible ::a.b.c.d, ...).
  return addr.match(GLOBAL_UNICAST) ? null : "outside global unicast 2000::/3";
}

function embeddedReason(form: string, ipv4: IPv4): string | null {
  const reason = ipv4Reason(ipv4);
  return reason == null ? null : `${form} address of ${reason} IPv4 ${ipv4.toString()}`;
}

/** The IPv4 addresses an IPv6 address carries, by the layouts of the RFCs named. */
function embeddedIPv4(addr: IPv6, range: ReturnType<IPv6["range"]>): Array<[string, IPv4]> {
  const p = addr.parts;
  const part = (i: number): number => p[i] ?? 0;
  const found: Array<[string, IPv4]> = [];
  // RFC 4291 §2.5.5.1, deprecated: ::a.b.c.d (:: and ::1 are labelled unspecified/loopback already).
  if (range === "unicast" && p.slice(0, 6).every((x) => x === 0)) {
    found.push(["IPv4-compatible", fromParts(part(6), part(7))]);
  }
  // RFC 6052 §2.2: /96 keeps the IPv4 address in the last 32 bits; RFC 8215's /48 puts it in
  // bits 48-63 and 72-87 around the reserved octet u.
  if (range === "rfc6052") {
    found.push(
      addr.match(NAT64_WELL_KNOWN)
        ? ["NAT64", fromParts(part(6), part(7))]
        : ["NAT64 local-use", fromParts(part(3), ((part(4) & 0xff) << 8) | (part(5) >> 8))],
    );
  }
  // RFC 3056 §2: 2002:a.b.c.d::/48.
  if (range === "6to4") found.push(["6to4", fromParts(part(1), part(2))]);
  // RFC 4380 §4: the Teredo server in bits 32-63, the client in the last 32 bits, inverted.
  if (range === "teredo") {
    found.push(["Teredo server", fromParts(part(2), part(3))]);
    found.push(["Teredo client", fromParts(~part(6) & 0xffff, ~part(7) & 0xffff)]);
  }
  // RFC 5214 §6.1: an ISATAP interface identifier is 0000:5efe or 0200:5efe then the IPv4 address.
  if ((part(4) === 0 || part(4) === 0x0200) && part(5) === 0x5efe) {
    found.push(["ISATAP", fromParts(part(6), part(7))]);
  }
  return found;
}

function fromParts(high: number, low: number): IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * Parses an address as `dns.lookup` or the WHATWG URL parser print it. A zone (`%eth0`) is dropped:
 * it only scopes link-local addresses, which are refused anyway.
 */
function parseAddress(text: string): IPv4 | IPv6 | null {
  const bare = text.split("%")[0] ?? "";
  if (!bare.includes(":")) return ipaddr.IPv4.isValid(bare) ? ipaddr.IPv4.parse(bare) : null;
  const hex = dottedTailToHex(bare);
  return hex != null && ipaddr.IPv6.isValid(hex) ? ipaddr.IPv6.parse(hex) : null;
}

/**
 * `::a.b.c.d` -> `::XXXX:XXXX`. ipaddr.js reads `::a.b.c.d` as IPv4-mapped `::ffff:a.b.c.d`, which
 * is a different address (glibc prints IPv4-compatible addresses that way); hex has one reading.
 */
function dottedTailToHex(text: string): string | null {
  const match = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match == null) return text;
  const [, head = "", ...rest] = match;
  const octets = rest.map(Number);
  if (octets.some((o) => o > 255)) return null;
  const [a = 0, b = 0, c = 0, d = 0] = octets;
  return `${head}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}
