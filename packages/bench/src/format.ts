// Number formatting for the results table, the JSON notes and the demo.
// SI units throughout: Mbit/s for emulated links (as link caps are quoted),
// MB/s for loopback, MB = 10^6 bytes.

import type { CoreUse } from './proc.js';

/** Mbit/s → bytes/s. */
export function mbit(n: number): number {
  return (n * 1e6) / 8;
}

/** bytes/s → "76.3 Mbit/s". */
export function formatMbit(bytesPerSecond: number): string {
  const v = (bytesPerSecond * 8) / 1e6;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} Mbit/s`;
}

/** bytes/s → "512 MB/s". */
export function formatMBps(bytesPerSecond: number): string {
  const v = bytesPerSecond / 1e6;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} MB/s`;
}

/** bytes → "48.0 MB", "512 kB", "12 B". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${Math.round(bytes)} B`;
}

/** bytes → "142 MiB" (memory, as the kernel counts it). */
export function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MiB`;
}

/** ms → "0.82 ms", "23.4 ms", "412 ms", "4.21 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** 0.9512 → "0.95". */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) : String(r);
}

/** 0.3 → "30%". */
export function formatPercent(r: number): string {
  return `${Math.round(r * 100)}%`;
}

/** Median of a list (NaN for an empty list). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile q ∈ [0, 1] (NaN for an empty list). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Run-queue waits by process → "waited for a core: mpx server 0.52 × its
 * run time (74 µs/wake-up), …" ("—" for one not measured).
 */
export function formatCoreWaits(uses: ReadonlyArray<{ name: string; use: CoreUse | null }>): string {
  const one = (u: CoreUse | null): string =>
    u === null || !(u.ran > 0) ? '—' : `${(u.waited / u.ran).toFixed(2)} × its run time (${Math.round(u.waitPerWakeUs)} µs/wake-up)`;
  return `waited for a core: ${uses.map((x) => `${x.name} ${one(x.use)}`).join(', ')}`;
}

/** Shares of a core by process → "cores: redis-benchmark 0.27, relay A 0.56" ("—" for one not measured). */
export function formatShares(shares: ReadonlyArray<{ name: string; share: number }>): string {
  return `cores: ${shares.map((s) => `${s.name} ${Number.isFinite(s.share) ? s.share.toFixed(2) : '—'}`).join(', ')}`;
}
