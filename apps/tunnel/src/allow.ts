// `mpx-tunnel server --allow RULE` (repeatable): where target streams (SPEC
// §6.6, the client's SOCKS5 / HTTP CONNECT listener) may be forwarded. None
// by default. A rule is `<host>:<port>`:
//
//   10.0.0.0/8:443   an IPv4 or IPv6 network (CIDR) or address; IPv6 in brackets: [2001:db8::/32]:22
//   example.com:*    a host name; `*.example.com` also matches every name below it; `*` any name or address
//   *:80-89          ports: one, a range a-b, or `*`
//
// Name rules match the name the client asked for (before resolution); network
// rules match the address the server resolved it to (and an address the
// client gave directly), so `10.0.0.0/8:*` cannot be escaped with a name that
// resolves into it, nor `example.com` used to reach addresses it is not.
import { BlockList, isIP } from 'node:net';
import { UsageError } from './errors.js';

export interface AllowRule {
  /** As given, for logs. */
  readonly text: string;
  readonly ports: readonly [number, number];
  /** A name pattern (lower case; `*`, `*.suffix` or exact), or undefined for a network rule. */
  readonly name: string | undefined;
  /** A network rule's addresses. */
  readonly network: BlockList | undefined;
}

function bad(text: string, why: string): never {
  throw new UsageError('MPX_TUNNEL_ERR_OPTION', `--allow '${text}': ${why} (use e.g. 10.0.0.0/8:443, example.com:*, *.example.com:80-89, [::1]:22)`);
}

export function parseAllowRule(text: string): AllowRule {
  const input = text.trim();
  let hostText: string;
  let portText: string;
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close === -1 || input[close + 1] !== ':') bad(text, "an IPv6 rule is written [address or network]:port");
    hostText = input.slice(1, close);
    portText = input.slice(close + 2);
  } else {
    const colon = input.lastIndexOf(':');
    if (colon <= 0) bad(text, 'the port is missing');
    hostText = input.slice(0, colon);
    portText = input.slice(colon + 1);
    if (hostText.includes(':')) bad(text, 'an IPv6 address or network must be written in brackets');
  }
  const ports = parsePorts(text, portText);
  const slash = hostText.indexOf('/');
  const address = slash === -1 ? hostText : hostText.slice(0, slash);
  const family = isIP(address);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = slash === -1 ? max : Number(hostText.slice(slash + 1));
    if (!/^\d+$/.test(slash === -1 ? String(max) : hostText.slice(slash + 1)) || prefix > max) bad(text, `the prefix length must be 0-${max}`);
    const network = new BlockList();
    network.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { text: input, ports, name: undefined, network };
  }
  if (slash !== -1) bad(text, `'${address}' is not an IP address, so it takes no /prefix`);
  const name = hostText.toLowerCase();
  const label = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  if (name !== '*' && (name === '' || !labels.every((l) => label.test(l)))) bad(text, `'${hostText}' is not a host name, '*' or '*.domain'`);
  return { text: input, ports, name, network: undefined };
}

function parsePorts(text: string, portText: string): readonly [number, number] {
  if (portText === '*') return [1, 65535];
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(portText);
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (m === null || lo < 1 || hi > 65535 || lo > hi) bad(text, `'${portText}' is not a port, a range a-b (1-65535) or '*'`);
  return [lo, hi];
}

/** The policy made of every --allow rule; empty refuses everything. */
export class AllowList {
  readonly rules: readonly AllowRule[];

  constructor(rules: readonly AllowRule[]) {
    this.rules = rules;
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** A rule that allows the name (or address) the client asked for, before resolution. */
  allowsRequested(host: string, port: number): AllowRule | undefined {
    const family = isIP(host);
    return this.rules.find((r) => inPorts(r, port) && (family === 0 ? nameMatches(r.name, host.toLowerCase()) : r.name === '*' || addressMatches(r, host, family)));
  }

  /** A network rule that allows the address a name resolved to. */
  allowsResolved(address: string, port: number): AllowRule | undefined {
    const family = isIP(address);
    return this.rules.find((r) => inPorts(r, port) && addressMatches(r, address, family));
  }

  /** True when some network rule could allow `port` once a name is resolved (else resolution is pointless). */
  hasNetworkRuleFor(port: number): boolean {
    return this.rules.some((r) => r.network !== undefined && inPorts(r, port));
  }
}

function inPorts(rule: AllowRule, port: number): boolean {
  return port >= rule.ports[0] && port <= rule.ports[1];
}

function nameMatches(pattern: string | undefined, name: string): boolean {
  if (pattern === undefined) return false;
  if (pattern === '*') return true;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (pattern.startsWith('*.')) return bare.endsWith(pattern.slice(1)) && bare.length > pattern.length - 1;
  return bare === pattern;
}

function addressMatches(rule: AllowRule, address: string, family: number): boolean {
  return rule.network !== undefined && family !== 0 && rule.network.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
