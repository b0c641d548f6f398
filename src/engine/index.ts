// The engine's public surface: settings → context → one cycle through a prober → the output model.
export { runCycle, newCycleState, probeNodes, withoutTerminating, type CycleDeps, type CycleResult, type CycleState, type ProbedCycle, type StageTimings } from './cycle.ts';
export { prepareCycle, probeBundlePath, type CycleContext } from './context.ts';
export type { Prober } from '../modes/types.ts';
export { gatherDoctor } from './doctor.ts';
export { chooseProber, accessFacts, modeDeps, type ChosenProber } from './probers.ts';
export { discoverDns, routability } from './discover.ts';
export { failureOf, UsageError } from '../common/errors.ts';
export type { CheckSettings, FleetSettings, OutputFormat, RepairSettings } from './settings.ts';
export { runFleet, worstExitCode, fleetContexts, type ClusterResult, type FleetDeps } from './fleet.ts';
export { cleanupProbePods } from './cleanup.ts';
