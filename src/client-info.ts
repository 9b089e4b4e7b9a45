import { BlockList, isIP } from "node:net";
import type { Server } from "bun";

/** Who is logging in, as a session records it. */
export interface ClientInfo {
  userAgent: string;
  /** The client's address, canonical ("2001:db8::1", IPv4-mapped IPv6 as IPv4), or null when unknown. */
  ip: string | null;
}

/**
 * Who may name the client's address (TRUST_PROXY): nobody (the socket's peer is the client), a
 * number of proxies in front (the client is that many addresses from the right of
 * X-Forwarded-For, which a proxy that appends leaves there), or proxies by address (the
 * rightmost address not among them, and only when the peer itself is one of them).
 */
export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "addresses"; trusted: BlockList };

const MAPPED_IPV4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `text` as a canonical IP address, or undefined when it is not one (a port, a name, garbage). */
export function canonicalIp(text: string | undefined | null): string | undefined {
  if (!text) return undefined;
  const address = text.trim();
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const mapped = MAPPED_IPV4.exec(address)?.[1];
  if (mapped && isIP(mapped) === 4) return mapped;
  // The URL parser writes IPv6 in its RFC 5952 form: lower case, longest zero run as "::".
  const withoutZone = address.replace(/%.*$/, "");
  return new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1);
}

/** The eight 16-bit groups of a canonical IPv6 address. */
function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string) => (part ? part.split(":").map((group) => Number.parseInt(group, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

/**
 * What a per-IP limit counts a client by: its IPv4 address, or its IPv6 /64 (one subscriber's
 * network: a client holding a /64 would otherwise get 2^64 fresh addresses to try from).
 */
export function networkOf(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const groups = ipv6Groups(ip).slice(0, 4).map((group) => group.toString(16));
  return `${groups.join(":")}::/64`;
}

/** TRUST_PROXY's value: false/unset, true (one proxy), a number of proxies, or addresses and CIDRs. */
export function parseTrustProxy(raw: string): TrustProxy | string {
  const value = raw.trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(value)) return { kind: "none" };
  if (["true", "yes", "on"].includes(value)) return { kind: "hops", hops: 1 };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= 16 ? { kind: "hops", hops } : "a number of proxies must be at most 16";
  }
  const trusted = new BlockList();
  for (const entry of raw.split(",").map((part) => part.trim()).filter(Boolean)) {
    const [address, bits, extra] = entry.split("/");
    const ip = canonicalIp(address);
    const version = ip === undefined ? 0 : isIP(ip);
    const prefix = bits === undefined ? undefined : Number(bits);
    if (!ip || extra !== undefined || (bits !== undefined && (!/^\d+$/.test(bits) || prefix! > (version === 4 ? 32 : 128))))
      return `"${entry}" is neither an IP address nor a CIDR range`;
    const type = version === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) trusted.addAddress(ip, type);
    else trusted.addSubnet(ip, prefix, type);
  }
  return { kind: "addresses", trusted };
}

const isTrusted = (trusted: BlockList, ip: string) => trusted.check(ip, isIP(ip) === 4 ? "ipv4" : "ipv6");

/** The client's address under `trust`; an X-Forwarded-For entry that is not an IP never counts. */
export function clientIp(request: Request, server: Server<unknown> | null, trust: TrustProxy): string | null {
  const peer = canonicalIp(server?.requestIP(request)?.address) ?? null;
  if (trust.kind === "none") return peer;
  // Several X-Forwarded-For headers read as one list, in order.
  const forwarded = request.headers.get("x-forwarded-for");
  if (!forwarded) return peer;
  const hops = forwarded.split(",").map((entry) => entry.trim());
  if (trust.kind === "hops") {
    // Fewer entries than proxies: the farthest one there is (the first proxy saw no header).
    return canonicalIp(hops[Math.max(0, hops.length - trust.hops)]) ?? peer;
  }
  // In-process requests have no peer: as if it were a trusted proxy.
  if (peer !== null && !isTrusted(trust.trusted, peer)) return peer;
  for (let index = hops.length - 1; index >= 0; index--) {
    const ip = canonicalIp(hops[index]);
    if (!ip) return peer;
    if (!isTrusted(trust.trusted, ip) || index === 0) return ip;
  }
  return peer;
}

export type ClientReader = (request: Request, server: Server<unknown> | null) => ClientInfo;

/**
 * Reads who is calling, under TRUST_PROXY. Reads single headers from the request: a handler
 * that names Elysia's `headers` makes it copy every request header into an object first.
 */
export const clientReader =
  (trust: TrustProxy): ClientReader =>
  (request, server) => ({
    userAgent: (request.headers.get("user-agent") ?? "").slice(0, 512),
    ip: clientIp(request, server, trust),
  });
