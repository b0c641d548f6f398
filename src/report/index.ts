export { targetResults, overallVerdict, type TargetResult, type FailingCheck } from './verdict.ts';
export { checkOutput, errorOutput, render, renderTable, OUTPUT_API_VERSION, type CheckOutput } from './output.ts';
export { progress, type Progress, type Stage } from './progress.ts';
export { createLogger, LOG_LEVELS, type LogFormat, type LogLevel } from './logger.ts';
