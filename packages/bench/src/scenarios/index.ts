// Every scenario of `pnpm bench`, in the order they run.
import type { Scenario } from '../harness.js';
import { abuse } from './abuse.js';
import { aggregation } from './aggregation.js';
import { bidir } from './bidir.js';
import { changingPaths } from './changing-paths.js';
import { direction } from './direction.js';
import { failover, failoverStandby, outage, stall, stallStandby } from './faults.js';
import { iperfCarriers } from './iperf-carriers.js';
import { jitter } from './jitter.js';
import { latencyUnderLoad } from './latency-under-load.js';
import { longPath } from './long-path.js';
import { manyStreams } from './many-streams.js';
import { openLatency } from './open-latency.js';
import { outageResume } from './outage-resume.js';
import { rawLoopback } from './raw-loopback.js';
import { scaleOut } from './scale-out.js';
import { realClients } from './real-clients.js';
import { sharedBottleneck } from './shared-bottleneck.js';
import { slowReader } from './slow-reader.js';
import { soak } from './soak.js';
import { uneven } from './uneven.js';
import { wsCarriers } from './ws-carriers.js';

export const SCENARIOS: readonly Scenario[] = [
  aggregation,
  uneven,
  direction,
  failover,
  failoverStandby,
  stall,
  stallStandby,
  outage,
  outageResume,
  sharedBottleneck,
  latencyUnderLoad,
  bidir,
  changingPaths,
  jitter,
  longPath,
  openLatency,
  manyStreams,
  rawLoopback,
  iperfCarriers,
  wsCarriers,
  realClients,
  scaleOut,
  slowReader,
  soak,
  abuse,
];
