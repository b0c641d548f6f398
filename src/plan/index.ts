export { buildPlan, planNotes, resolvePlanOptions, parseCheckGroups, PLAN_DEFAULTS, IP_FAMILIES, type PlanOptions, type PlanFlags, type IpFamily } from './plan.ts';
export { parsePlanConfig, ConfigError, type PlanConfig, type CheckSpec } from './config.ts';
export { CHECK_GROUPS, servesCluster, sourceOf, type CheckGroup, type NameSource } from './derived.ts';
export { SAMPLE_MAX } from './sample.ts';
