// The emulator's own garbage collector must not stall the paths it emulates.
//
// Why: an emulated path moves every byte through a fresh Buffer (external
// memory) and keeps only a few MB of live JavaScript heap. Node 20's V8
// (11.3) derives the old generation's limit from that small live heap, and
// once bulk traffic has grown the young generation to its 16 MiB, the room
// left under the limit is no larger than the young generation: V8 starts a
// full collection again as soon as one ends. Measured in the bench process
// (4 paths of 20 Mbit/s, 10 ms each way, bulk both ways through mpx,
// `--trace-gc`): 96 Mark-Compacts in 55 s of a 10 MB heap, one every
// ~0.5 s from the second run on, pauses up to 22 ms, event-loop delay p99
// 8 → 18 ms, and the paths' delivered rate falling run after run (78.7 →
// 76.4 → 74.5 Mbit/s means) while the live heap stayed at 10-13 MB. A larger
// growing factor moves the limit away from the live size: 7-32 ms of GC per
// 5 s instead of 90-200. (mpx-tunnel sets the same flag for itself for the
// same reason: apps/tunnel/src/heap-growth.ts.) The collections were not all
// of that fall: with this flag set, it came again on a machine slow to wake
// its threads (packages/bench/issue-15-journal.md, sixteenth stop).
//
// Only for processes that host emulated paths or the bench's traffic
// endpoints (instruments): the plain Node relays the bench compares mpx
// with keep V8's defaults, as a user's relay would.
//
// Set unconditionally, unlike mpx-tunnel's settings, where a value on node's
// command line wins (apps/tunnel/src/v8-flag.ts): these processes are
// instruments, not programs an operator tunes, and netem does not depend on
// the tunnel.
import { setFlagsFromString } from 'node:v8';

/** `--heap-growing-percent` for emulator processes (V8's factor 1 + percent / 100). Rationale: the value mpx-tunnel uses, which removed the same collections there. */
export const EMULATOR_HEAP_GROWING_PERCENT = 1000;

/** Sets this process's V8 so that a small live heap does not mean a full collection every half second; call once at start. */
export function steadyEmulatorHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${EMULATOR_HEAP_GROWING_PERCENT}`);
}
