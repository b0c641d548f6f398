export { targetResults, overallVerdict, type TargetResult, type FailingCheck } from './verdict.ts';
export { checkOutput, errorOutput, render, renderRepair, renderTable, OUTPUT_API_VERSION, OUTPUT_KIND, type CheckOutput, type RepairEntry, type RepairOutcome, type RepairSection } from './output.ts';
export { progress, type Progress, type Stage } from './progress.ts';
export { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.ts';
export { fleetOutput, renderFleet, renderFleetTable, FLEET_KIND, type FleetCluster, type FleetOutput } from './fleet.ts';
