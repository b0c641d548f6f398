export { buildPlan, resolvePlanOptions, PLAN_DEFAULTS, type PlanOptions, type PlanFlags } from './plan.ts';
export { parsePlanConfig, ConfigError, type PlanConfig, type CheckSpec } from './config.ts';
