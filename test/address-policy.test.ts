import { describe, expect, it } from "vitest";
import { isPublicAddress, nonPublicReason } from "../src/intake/address-policy.js";

/**
 * Each refused range with its first and last address and the public addresses just outside it.
 * The middle column is the label `nonPublicReason` gives (a substring), or null for public.
 * Ranges from the IANA special-purpose registries (RFC 6890), as listed in issue 5.
 */
const ipv4: Array<[string, string | null]> = [
  // 0.0.0.0/8 "this network" (RFC 1122)
  ["0.0.0.0", "unspecified"],
  ["0.255.255.255", "unspecified"],
  ["1.0.0.0", null],
  // 10.0.0.0/8 (RFC 1918)
  ["9.255.255.255", null],
  ["10.0.0.0", "private"],
  ["10.255.255.255", "private"],
  ["11.0.0.0", null],
  // 100.64.0.0/10 carrier-grade NAT (RFC 6598)
  ["100.63.255.255", null],
  ["100.64.0.0", "carrierGradeNat"],
  ["100.127.255.255", "carrierGradeNat"],
  ["100.128.0.0", null],
  // 127.0.0.0/8 loopback
  ["126.255.255.255", null],
  ["127.0.0.0", "loopback"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.255", "loopback"],
  ["128.0.0.0", null],
  // 169.254.0.0/16 link-local, cloud metadata (RFC 3927)
  ["169.253.255.255", null],
  ["169.254.0.0", "linkLocal"],
  ["169.254.169.254", "linkLocal"],
  ["169.254.255.255", "linkLocal"],
  ["169.255.0.0", null],
  // 172.16.0.0/12 (RFC 1918)
  ["172.15.255.255", null],
  ["172.16.0.0", "private"],
  ["172.31.255.255", "private"],
  ["172.32.0.0", null],
  // 192.0.0.0/24 IETF protocol assignments (RFC 6890)
  ["191.255.255.255", null],
  ["192.0.0.0", "reserved"],
  ["192.0.0.255", "reserved"],
  ["192.0.1.0", null],
  // 192.0.2.0/24 TEST-NET-1 (RFC 5737)
  ["192.0.1.255", null],
  ["192.0.2.0", "reserved"],
  ["192.0.2.255", "reserved"],
  ["192.0.3.0", null],
  // 192.31.196.0/24 and 192.175.48.0/24 AS112 (RFC 7534, 7535), 192.52.193.0/24 AMT (RFC 7450)
  ["192.31.195.255", null],
  ["192.31.196.0", "as112"],
  ["192.31.196.255", "as112"],
  ["192.31.197.0", null],
  ["192.175.48.0", "as112"],
  ["192.175.48.255", "as112"],
  ["192.52.193.0", "amt"],
  ["192.52.193.255", "amt"],
  // 192.88.99.0/24 6to4 relay anycast (RFC 7526)
  ["192.88.98.255", null],
  ["192.88.99.0", "reserved"],
  ["192.88.99.255", "reserved"],
  ["192.88.100.0", null],
  // 192.168.0.0/16 (RFC 1918)
  ["192.167.255.255", null],
  ["192.168.0.0", "private"],
  ["192.168.255.255", "private"],
  ["192.169.0.0", null],
  // 198.18.0.0/15 benchmarking (RFC 2544)
  ["198.17.255.255", null],
  ["198.18.0.0", "reserved"],
  ["198.19.255.255", "reserved"],
  ["198.20.0.0", null],
  // 198.51.100.0/24 TEST-NET-2 (RFC 5737)
  ["198.51.99.255", null],
  ["198.51.100.0", "reserved"],
  ["198.51.100.255", "reserved"],
  ["198.51.101.0", null],
  // 203.0.113.0/24 TEST-NET-3 (RFC 5737)
  ["203.0.112.255", null],
  ["203.0.113.0", "reserved"],
  ["203.0.113.255", "reserved"],
  ["203.0.114.0", null],
  // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, 255.255.255.255 broadcast
  ["223.255.255.255", null],
  ["224.0.0.0", "multicast"],
  ["239.255.255.255", "multicast"],
  ["240.0.0.0", "reserved"],
  ["255.255.255.254", "reserved"],
  ["255.255.255.255", "broadcast"],
  // ordinary public addresses
  ["8.8.8.8", null],
  ["1.1.1.1", null],
  ["93.184.215.14", null],
];

const ipv6: Array<[string, string | null]> = [
  ["::", "unspecified"],
  ["::1", "loopback"],
  // fc00::/7 unique-local (RFC 4193), just outside is not global unicast either
  ["fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "outside global unicast"],
  ["fc00::", "uniqueLocal"],
  ["fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "uniqueLocal"],
  // fe80::/10 link-local, fec0::/10 site-local (RFC 3879), ff00::/8 multicast
  ["fe80::", "linkLocal"],
  ["fe80::1%eth0", "linkLocal"],
  ["febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "linkLocal"],
  ["fec0::", "deprecatedSiteLocal"],
  ["feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "deprecatedSiteLocal"],
  ["ff00::", "multicast"],
  ["ff02::1", "multicast"],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast"],
  // 100::/64 discard (RFC 6666)
  ["100::", "discard"],
  ["100::ffff:ffff:ffff:ffff", "discard"],
  ["100:0:0:1::", "outside global unicast"],
  // 2000::/3 global unicast is the only public block: its edges
  ["1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "outside global unicast"],
  ["2000::", null],
  ["3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["3fff::", "reserved"], // 3fff::/20 documentation (RFC 9637)
  ["3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["4000::", "outside global unicast"],
  // 2001::/23 IETF protocol assignments, 2001:db8::/32 documentation (RFC 3849)
  ["2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["2001:200::", null],
  ["2001:2::", "benchmarking"],
  ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:db8::", "reserved"],
  ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "reserved"],
  ["2001:db9::", null],
  // ordinary public addresses
  ["2606:4700:4700::1111", null],
  ["2001:4860:4860::8888", null],
];

/** IPv6 forms that carry an IPv4 address: the IPv4 inside is unwrapped and checked. */
const embedded: Array<[string, string | null]> = [
  // IPv4-mapped ::ffff:0:0/96 (RFC 4291 §2.5.5.2): it is the IPv4 address
  ["::ffff:127.0.0.1", "IPv4-mapped address of loopback"],
  ["::ffff:7f00:1", "IPv4-mapped address of loopback"],
  ["::ffff:0.0.0.0", "IPv4-mapped address of unspecified"],
  ["::ffff:10.0.0.1", "IPv4-mapped address of private"],
  ["::ffff:169.254.169.254", "IPv4-mapped address of linkLocal"],
  ["::ffff:100.64.0.1", "IPv4-mapped address of carrierGradeNat"],
  ["::ffff:255.255.255.255", "IPv4-mapped address of broadcast"],
  ["::ffff:8.8.8.8", null],
  // IPv4-compatible ::/96 (RFC 4291 §2.5.5.1, deprecated): refused even around a public address
  ["::127.0.0.1", "IPv4-compatible address of loopback"],
  ["::7f00:1", "IPv4-compatible address of loopback"],
  ["::a9fe:a9fe", "IPv4-compatible address of linkLocal"],
  ["::8.8.8.8", "outside global unicast"],
  // IPv4-translated ::ffff:0:0:0/96 (RFC 6145)
  ["::ffff:0:127.0.0.1", "rfc6145"],
  // NAT64 well-known 64:ff9b::/96 (RFC 6052): the IPv4 inside decides
  ["64:ff9b::127.0.0.1", "NAT64 address of loopback"],
  ["64:ff9b::a9fe:a9fe", "NAT64 address of linkLocal"],
  ["64:ff9b::10.1.2.3", "NAT64 address of private"],
  ["64:ff9b::", "NAT64 address of unspecified"],
  ["64:ff9b::8.8.8.8", null],
  ["64:ff9b::ffff:ffff", "NAT64 address of broadcast"],
  ["64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", "outside global unicast"],
  ["64:ff9b::1:0:0", "outside global unicast"],
  // NAT64 local-use 64:ff9b:1::/48 (RFC 8215): never public, IPv4 unwrapped from the /48 layout
  ["64:ff9b:1:7f00:1::", "NAT64 local-use address of loopback"],
  ["64:ff9b:1:808:8:800::", "rfc6052"],
  ["64:ff9b:1::", "NAT64 local-use address of unspecified"],
  ["64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "NAT64 local-use address of broadcast"],
  ["64:ff9b:2::", "outside global unicast"],
  // 6to4 2002::/16 (RFC 3056): never public
  ["2002:7f00:1::", "6to4 address of loopback"],
  ["2002:a9fe:a9fe::1", "6to4 address of linkLocal"],
  ["2002:c0a8:101::", "6to4 address of private"],
  ["2002:808:808::1", "6to4"],
  ["2002::", "6to4 address of unspecified"],
  ["2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "6to4 address of broadcast"],
  ["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2003::", null],
  // Teredo 2001::/32 (RFC 4380): server in bits 32-63, client inverted in the last 32 bits
  ["2001:0:7f00:1::", "Teredo server address of loopback"],
  ["2001:0:808:808::80ff:fffe", "Teredo client address of loopback"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo client address of reserved"], // RFC 4380 example, 192.0.2.45
  ["2001:0:808:808:0:0:f7f7:f7f7", "teredo"],
  ["2001::", "Teredo server address of unspecified"],
  ["2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "Teredo server address of broadcast"],
  ["2001:1::", "reserved"],
  // ISATAP interface identifiers (RFC 5214 §6.1) under a global prefix
  ["2001:4860::5efe:7f00:1", "ISATAP address of loopback"],
  ["2001:4860::200:5efe:a00:1", "ISATAP address of private"],
  ["2001:4860::5efe:808:808", null],
];

const notAddresses = ["", "localhost", "example.com", "1.2.3.4.5", "256.0.0.1", "::ffff:999.0.0.1", "::g", "[::1]"];

describe("address policy", () => {
  it.each([...ipv4, ...ipv6, ...embedded])("%s -> %s", (ip, expected) => {
    if (expected == null) {
      expect(nonPublicReason(ip)).toBeNull();
      expect(isPublicAddress(ip)).toBe(true);
    } else {
      expect(nonPublicReason(ip)).toContain(expected);
      expect(isPublicAddress(ip)).toBe(false);
    }
  });

  it.each(notAddresses)("%j is not an IP address, so not public", (text) => {
    expect(nonPublicReason(text)).toBe("not an IP address");
  });

  // The WHATWG URL parser turns these into 127.0.0.1 before a hostname reaches the connect hook;
  // should one reach the policy unnormalised, it reads them as inet_aton(3) does.
  it.each(["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1"])("%s is read as loopback", (ip) => {
    expect(nonPublicReason(ip)).toBe("loopback");
  });
});
