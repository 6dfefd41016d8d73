// @mpx/testkit: in-memory carriers with fault injection, the carrier
// conformance suite, the transport contract suite, and seeded randomness for tests.
export type { RandomSource } from './seeded-random.js';
export { seededRandom, randomBytes, randomInt } from './seeded-random.js';
export type { MemoryPair, MemoryPairOptions } from './memory-pair.js';
export { createMemoryPair } from './memory-pair.js';
export { connectionReset } from './memory-link.js';
export type { CarrierPair, CarrierPairFactory, CarrierSuiteOptions } from './conformance.js';
export { runCarrierSuite } from './conformance.js';
export { acceptQueue, rejectionOf } from './accept-queue.js';
export { runTransportContractSuite, type TransportSubject } from './transport-contract.js';
export type { Digest } from './stream-helpers.js';
export { collectBytes, digestOf, randomSlices, waitForClose, waitForDrain, watchErrors, writeChunks, writeRandom } from './stream-helpers.js';
export { silentServer, type SilentServer } from './silent-server.js';
export { ensureProgram, onPath, type ProgramFound, type ProgramWanted } from './programs.js';
export {
  haproxyScaleOutConfig,
  nginxScaleOutConfig,
  startHaproxyBalancer,
  startNginxBalancer,
  type BalancerChild,
  type BalancerConfigOptions,
} from './balancers.js';
export { startHandOffFront, type HandOffFront } from './hand-off.js';
export { fullGc } from './collector.js';
export { PLATFORM, bufferutilPrebuilt } from './native-masking.js';
export { privateNginxMain, privateNginxTempPaths } from './private-nginx.js';
export { tlsFixture, tlsFixturePath, type TlsFixture } from './tls-fixtures.js';
