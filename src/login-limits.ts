import { type AnyColumn, type Placeholder, type SQL, sql } from "drizzle-orm";
import { networkOf } from "./client-info";

/**
 * The counters failed logins add to, in rate_limits (see RateLimiter): per account and client
 * network, per client network across accounts (credential stuffing), per account across
 * networks (a distributed guess, with a wait that grows). An account is named by its id, so its
 * email, its username and every case or width of them share one counter; an identifier with no
 * account by itself, so that it is limited the same way (nothing tells the two apart).
 */
const PREFIX = {
  accountAndIp: "login:account-ip:",
  ip: "login:ip:",
  account: "login:account:",
  strikes: "login:account-strikes:",
} as const;

const ACCOUNT = "u";
/** An account as its counters name it. */
export const accountCounterName = (userId: number) => `${ACCOUNT}${userId}`;
/** An identifier that names no account (normalised: an email, a username key), as the counters name it. */
export const unknownAccountCounterName = (kind: "email" | "username", identifier: string) => `?${kind}:${identifier}`;

export interface LoginCounterKeys {
  accountAndIp: string;
  /** Absent for a client of unknown address (in-process requests). */
  ip?: string;
  account: string;
  /** How often the account's window filled lately: each lock-out lasts twice the last. */
  strikes: string;
}

/** The network a client is counted by ("" unknown): an IPv4 address, an IPv6 /64. */
export const networkCounted = (ip: string | null) => (ip === null ? "" : networkOf(ip));

export function loginCounterKeys(account: string, network: string): LoginCounterKeys {
  return {
    accountAndIp: `${PREFIX.accountAndIp}${account}|${network}`,
    ip: network ? `${PREFIX.ip}${network}` : undefined,
    account: `${PREFIX.account}${account}`,
    strikes: `${PREFIX.strikes}${account}`,
  };
}

const literal = (text: string) => sql.raw(`'${text.replaceAll("'", "''")}'`);

/** `accountCounterName` in SQL, for a query that looks the account up itself: `unknown` when it finds none. */
export const accountCounterNameSql = (userId: AnyColumn, unknown: Placeholder) => sql`coalesce(${literal(ACCOUNT)} || ${userId}, ${unknown})`;

/** The same keys in SQL, for a query that finds the account itself (`account`: the counter name as an expression). */
export const loginCounterKeysSql = (account: SQL, network: Placeholder) => ({
  accountAndIp: sql`${literal(PREFIX.accountAndIp)} || ${account} || '|' || ${network}`,
  ip: sql`${literal(PREFIX.ip)} || ${network}`,
  account: sql`${literal(PREFIX.account)} || ${account}`,
});

/** Every counter of a user's lock-outs: across networks, its repeats, and the prefix of each network's. */
export function lockoutCountersOf(userId: number): { account: string; strikes: string; eachNetwork: string } {
  const account = accountCounterName(userId);
  return { account: `${PREFIX.account}${account}`, strikes: `${PREFIX.strikes}${account}`, eachNetwork: `${PREFIX.accountAndIp}${account}|` };
}
