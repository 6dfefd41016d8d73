// Every scenario of `pnpm bench`, in the order they run.
import type { Scenario } from '../harness.js';
import { abuse } from './abuse.js';
import { aggregation } from './aggregation.js';
import { direction } from './direction.js';
import { failover, failoverStandby, outage, stall, stallStandby } from './faults.js';
import { manyStreams } from './many-streams.js';
import { openLatency } from './open-latency.js';
import { rawLoopback } from './raw-loopback.js';
import { slowReader } from './slow-reader.js';
import { soak } from './soak.js';
import { uneven } from './uneven.js';

export const SCENARIOS: readonly Scenario[] = [aggregation, uneven, direction, failover, failoverStandby, stall, stallStandby, outage, openLatency, manyStreams, rawLoopback, slowReader, soak, abuse];
