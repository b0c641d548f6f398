// How this run's probe pods are made, from the flags: the probe-pod mode's probers and discovery's one
// pod that reads the pods' nameserver build them here, so both pods are alike.
import type { ProbePodSettings } from '../modes/probepod.ts';
import type { CycleContext } from './context.ts';

export function probePodSettings(ctx: CycleContext, extra: Pick<ProbePodSettings, 'onStage' | 'signal'> = {}): ProbePodSettings {
  const s = ctx.settings;
  return {
    namespace: ctx.probeNamespace,
    image: s.probeImage,
    ...(s.probeImageFallback ? { fallbackImage: s.probeImageFallback } : {}),
    ...(ctx.probeSource ? { probeSource: ctx.probeSource } : {}),
    nodeSelector: s.nodeSelector,
    tolerations: s.tolerations,
    imagePullSecrets: s.imagePullSecrets,
    podTimeoutMs: s.podTimeoutMs,
    ...extra,
  };
}
