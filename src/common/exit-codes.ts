// Exit codes of every command, documented in the README. Distinct so CI can branch on them.
export const EXIT = {
  /** DNS healthy (and, with --repair, nothing left to repair). */
  healthy: 0,
  /** DNS unhealthy: at least one target failed its checks. */
  unhealthy: 1,
  /** Bad flags, bad config file, bad kubeconfig/context: nothing was done. */
  usage: 2,
  /** The API could not be reached or refused us (auth, RBAC, 5xx), or the DNS workload was not found. */
  cluster: 3,
  /** The probe pod could not run: unschedulable, image pull, admission, exec failure, garbage output. */
  probe: 4,
  /** Repair escalated: the same failure came back after repeated restarts; a human must look. */
  manualIntervention: 5,
  /** Repair needed but another runner holds the repair lock. */
  locked: 6,
  /**
   * Repair started but did not complete: a step failed (an API error, the history write, a lost Lease)
   * after the run began changing the cluster. The report lists every action done; nothing is hidden.
   */
  repairIncomplete: 7,
  /** Interrupted by SIGINT/SIGTERM (cleanup done). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
