// SPEC §6.6 on the server: may a target stream go where it asks, and to which
// address. Name rules are checked against the name asked for; network rules
// against the address the server resolves it to (allow.ts).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { WireCode, type StreamTarget } from '@mpx/core';
import type { AllowList } from './allow.js';

export type TargetDecision = { readonly address: string } | { readonly refuse: number; readonly why: string };

export async function decideTarget(allow: AllowList, target: StreamTarget): Promise<TargetDecision> {
  const { host, port } = target;
  const notAllowed = { refuse: WireCode.NOT_ALLOWED, why: 'not allowed by --allow' } as const;
  if (allow.allowsRequested(host, port) !== undefined) return { address: host };
  if (isIP(host) !== 0 || !allow.hasNetworkRuleFor(port)) return notAllowed;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch (err) {
    return { refuse: WireCode.UNREACHABLE, why: `cannot resolve it (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const allowed = addresses.find((a) => allow.allowsResolved(a.address, port) !== undefined);
  return allowed === undefined ? { ...notAllowed, why: `it resolves to ${addresses.map((a) => a.address).join(', ')}, not allowed by --allow` } : { address: allowed.address };
}
