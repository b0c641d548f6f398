// charts/coredns-sentinel with the real helm (scripts/helm.sh puts it in .cache/tools): `helm lint` and
// `helm template` of every values example; the chart renders the same objects as the kustomize overlays
// for the same settings (the real kubectl's `kubectl kustomize`); per mode, the chart's ServiceAccount
// gets exactly the permissions the matching manifest in manifests/ grants; the PrometheusRule carries
// manifests/alerts/rules.yaml's groups; every object rendered (chart and kustomize) validates against the
// Kubernetes 1.27 and 1.33 API schemas and the prometheus-operator CRD schemas.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CHART, helmBinary, kustomize, NAMESPACE, objectsOf, RELEASE, renderChart, type K8sObject } from './helm.ts';
import { run } from './tools.ts';
import { unknownFields } from './unknown-fields.ts';

const EXAMPLES = readdirSync(`${CHART}/examples`).filter((f) => f.endsWith('.yaml')).sort();

const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

// The labels Helm's conventions add and kustomize has no counterpart for: ignored by the comparison
// wherever a label map appears (metadata labels, selectors, pod template labels). Everything else,
// every field of every object, must be equal.
const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by'];
const LABEL_MAPS = new Set(['labels', 'matchLabels', 'selector']);

function withoutHelmLabels(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutHelmLabels(v));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([k]) => !(LABEL_MAPS.has(parentKey) && HELM_LABELS.includes(k)));
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutHelmLabels(v, k)]));
}
const normalized = (objs: K8sObject[]) => new Map(objs.map((o) => [key(o), withoutHelmLabels(o)]));

/** One permission: where, API group, resource, verb, object name ('*' for any, 'cluster' for cluster-wide). */
type Permission = string;

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
interface Binding extends K8sObject { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] }

/** Every permission the ServiceAccount namespace/name gets from these objects' bindings. */
function permissions(objs: K8sObject[], namespace: string, name: string): Permission[] {
  const out = new Set<Permission>();
  for (const b of objs.filter((o): o is Binding => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    if (!b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === name && s.namespace === namespace)) continue;
    const scope = b.kind === 'RoleBinding' ? b.metadata.namespace! : 'cluster';
    const role = objs.find((o) => o.kind === b.roleRef.kind && o.metadata.name === b.roleRef.name && (b.roleRef.kind === 'ClusterRole' || o.metadata.namespace === scope));
    assert.ok(role, `${key(b)} binds ${b.roleRef.kind} ${b.roleRef.name}, which is not there`);
    for (const r of (role as unknown as { rules: Rule[] }).rules)
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) for (const n of r.resourceNames ?? ['*']) out.add([scope, g, res, v, n].join(' '));
  }
  return [...out].sort();
}

/** A manifest of manifests/ with its namespace placeholders set, keeping the objects of the Roles named. */
function manifest(file: string, namespace: string, roles?: string[]): K8sObject[] {
  const text = readFileSync(`manifests/${file}`, 'utf8').replaceAll('NAMESPACE_OF_PROBES', namespace).replaceAll('NAMESPACE_OF_SENTINEL', namespace);
  return objectsOf(text).filter((o) => !roles || roles.includes(o.metadata.name));
}

describe('ecosystem: the Helm chart (charts/coredns-sentinel) with the real helm', function () {
  this.timeout(120_000);
  let helm: string;

  before(() => {
    helm = helmBinary();
  });

  it('helm lint --strict passes with the defaults and with every values example', () => {
    assert.deepEqual(EXAMPLES, ['check-only.yaml', 'probe-pod.yaml', 'repair.yaml', 'watch.yaml']);
    for (const values of [[], ...EXAMPLES.map((e) => ['-f', `${CHART}/examples/${e}`])]) {
      const r = run(helm, ['lint', '--strict', CHART, ...values]);
      assert.equal(r.status, 0, `helm lint ${values.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('helm template renders every example: the CronJob and the watch Deployment as each asks', () => {
    const kinds = (e: string) => renderChart(helm, ['-f', `${CHART}/examples/${e}`]).map((o) => o.kind);
    assert.ok(kinds('check-only.yaml').includes('CronJob'));
    assert.ok(!kinds('check-only.yaml').includes('Deployment'));
    assert.ok(kinds('repair.yaml').includes('ServiceMonitor'));
    const watch = kinds('watch.yaml');
    for (const k of ['Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule']) assert.ok(watch.includes(k), `watch.yaml renders no ${k}`);
    assert.ok(!watch.includes('CronJob'));
    const probePod = renderChart(helm, ['-f', `${CHART}/examples/probe-pod.yaml`]);
    assert.ok(probePod.some((o) => o.kind === 'ClusterRole' && o.metadata.name === 'coredns-sentinel-nodes'));
  });

  it('renders the same objects as the kustomize overlays for the same settings (check-only.yaml, repair.yaml), less the labels Helm adds', () => {
    for (const [example, overlay] of [['check-only.yaml', 'check-only'], ['repair.yaml', 'repair']] as const) {
      const chart = normalized(renderChart(helm, ['-f', `${CHART}/examples/${example}`]));
      const kustomized = normalized(kustomize(overlay));
      assert.deepEqual([...chart.keys()].sort(), [...kustomized.keys()].sort(), `${example} vs overlays/${overlay}: the objects`);
      for (const [k, o] of kustomized) assert.deepEqual(chart.get(k), o, `${example} vs overlays/${overlay}: ${k}`);
    }
  });

  it('the comparison can fail: a changed schedule, an extra argument or another image is a difference', () => {
    const kustomized = normalized(kustomize('check-only'));
    for (const set of ['cronjob.schedule=*/10 * * * *', 'extraArgs[0]=--samples=5', 'image.tag=0.2.0']) {
      const chart = normalized(renderChart(helm, ['-f', `${CHART}/examples/check-only.yaml`, '--set', set]));
      assert.notDeepEqual(chart.get('CronJob/coredns-sentinel/coredns-sentinel-check'), kustomized.get('CronJob/coredns-sentinel/coredns-sentinel-check'), set);
    }
  });

  describe('RBAC per mode: exactly the permissions of the manifest for that mode', () => {
    const sa = (objs: K8sObject[]) => permissions(objs, NAMESPACE, 'coredns-sentinel');
    const cases: { name: string; set: string[]; expected: () => Permission[] }[] = [
      { name: 'in-cluster = manifests/deploy/overlays/check-only', set: [], expected: () => sa(kustomize('check-only')) },
      { name: 'in-cluster with repair = manifests/deploy/overlays/repair', set: ['repair.enabled=true'], expected: () => sa(kustomize('repair')) },
      {
        name: 'probe-pod with repair (evict, quarantine) = rbac-check.yaml + rbac-repair.yaml (its eviction Role) + rbac-quarantine.yaml',
        set: ['mode=probe-pod', 'repair.enabled=true'],
        expected: () => permissions([...manifest('rbac-check.yaml', NAMESPACE), ...manifest('rbac-repair.yaml', NAMESPACE, ['coredns-sentinel-repair']), ...manifest('rbac-quarantine.yaml', NAMESPACE)], NAMESPACE, 'coredns-sentinel-check'),
      },
      {
        name: 'probe-pod with --restart-method delete and rollout, no quarantine = rbac-check.yaml + all of rbac-repair.yaml',
        set: ['mode=probe-pod', 'repair.enabled=true', 'repair.quarantine=false', 'repair.restartMethod=delete'],
        expected: () => permissions([...manifest('rbac-check.yaml', NAMESPACE), ...manifest('rbac-repair.yaml', NAMESPACE, ['coredns-sentinel-repair', 'coredns-sentinel-repair-delete'])], NAMESPACE, 'coredns-sentinel-check'),
      },
      {
        name: 'probe-pod with the sample = rbac-check.yaml + rbac-sample.yaml',
        set: ['mode=probe-pod', 'sampleServices=3'],
        expected: () => permissions([...manifest('rbac-check.yaml', NAMESPACE), ...manifest('rbac-sample.yaml', NAMESPACE)], NAMESPACE, 'coredns-sentinel-check'),
      },
      { name: 'port-forward without freshness = rbac-portforward.yaml', set: ['mode=port-forward', 'freshness=false'], expected: () => permissions(manifest('rbac-portforward.yaml', NAMESPACE), NAMESPACE, 'coredns-sentinel-portforward') },
      { name: 'direct without freshness = rbac-direct.yaml', set: ['mode=direct', 'freshness=false'], expected: () => permissions(manifest('rbac-direct.yaml', NAMESPACE), NAMESPACE, 'coredns-sentinel-direct') },
    ];
    for (const c of cases)
      it(c.name, () => {
        const chart = sa(renderChart(helm, c.set.flatMap((s) => ['--set', s])));
        assert.ok(chart.length > 0);
        assert.deepEqual(chart, c.expected());
      });

    it('rollout restarts get the rollout Role of rbac-repair.yaml, and the mode and method flags reach both commands', () => {
      const objs = renderChart(helm, ['--set', 'mode=probe-pod', '--set', 'repair.enabled=true', '--set', 'repair.quarantine=false', '--set', 'repair.restartMethod=rollout', '--set', 'watch.enabled=true']);
      const expected = permissions([...manifest('rbac-check.yaml', NAMESPACE), ...manifest('rbac-repair.yaml', NAMESPACE, ['coredns-sentinel-repair', 'coredns-sentinel-repair-rollout'])], NAMESPACE, 'coredns-sentinel-check');
      assert.deepEqual(sa(objs), expected);
      const args = objs.filter((o) => o.kind === 'CronJob' || o.kind === 'Deployment').map((o) => JSON.stringify(o));
      assert.equal(args.length, 2);
      for (const a of args) for (const flag of ['"--mode","probe-pod"', '"--repair","--restart-method","rollout","--no-quarantine"']) assert.ok(a.includes(flag), `${flag} missing`);
    });
  });

  it('the PrometheusRule carries manifests/alerts/rules.yaml, groups and label templates unchanged', () => {
    assert.equal(readFileSync(`${CHART}/files/alert-rules.yaml`, 'utf8'), readFileSync('manifests/alerts/rules.yaml', 'utf8'), 'files/alert-rules.yaml must be a copy of manifests/alerts/rules.yaml');
    const rule = renderChart(helm, ['-f', `${CHART}/examples/watch.yaml`]).find((o) => o.kind === 'PrometheusRule') as K8sObject & { spec: { groups: unknown } };
    assert.deepEqual(rule.spec.groups, (parse(readFileSync('manifests/alerts/rules.yaml', 'utf8')) as { groups: unknown }).groups);
    assert.equal(rule.metadata.labels?.release, 'kube-prometheus-stack');
    assert.match(JSON.stringify(rule), /\{\{ \$labels\.instance \}\}/);
  });

  describe('every rendered object validates against the API schemas', () => {
    // The official OpenAPI schemas as ajv validators: kubernetes-models 4.3.1 is generated from Kubernetes
    // 1.27.1's, 4.5.1 from 1.33.0's (their CHANGELOG); @kubernetes-models/prometheus-operator from the
    // operator's CRDs. They check required fields, types, enums and formats; unknown fields are checked
    // apart (unknown-fields.ts), against 1.27's schemas; the CRDs' are not checked for them.
    const SCHEMAS = { '1.27': 'kubernetes-models-1.27', '1.33': 'kubernetes-models-1.33' } as const;
    type Validating = new (data: object) => { validate(): void };

    async function validator(pkg: string, o: K8sObject): Promise<Validating> {
      const group = o.apiVersion.startsWith('monitoring.coreos.com/') ? '@kubernetes-models/prometheus-operator' : pkg;
      const model = ((await import(`${group}/${o.apiVersion}/${o.kind}`)) as Record<string, Validating>)[o.kind];
      assert.ok(model, `${group} has no model of ${o.apiVersion} ${o.kind}`);
      return model;
    }
    async function problems(pkg: string, objs: K8sObject[]): Promise<string[]> {
      const out: string[] = [];
      for (const o of objs) {
        try {
          new (await validator(pkg, o))(o).validate();
        } catch (e) {
          out.push(`${key(o)}: ${(e as Error).message}`);
        }
      }
      return out;
    }
    /** The chart with every example and every mode's options, and both overlays: each distinct object once. */
    function everything(): K8sObject[] {
      const sets = [
        ...EXAMPLES.map((e) => ['-f', `${CHART}/examples/${e}`]),
        ['--set', 'mode=probe-pod,repair.enabled=true,repair.restartMethod=rollout,sampleServices=3,watch.enabled=true,watch.prometheusRule.enabled=true'],
        ['--set', 'mode=port-forward,freshness=false,repair.enabled=true,repair.restartMethod=delete,repair.quarantine=false,dns.namespace=openshift-dns'],
        ['--set', 'mode=direct,createNamespace=true,imagePullSecrets[0].name=registry,tolerations[0].operator=Exists,nodeSelector.pool=ops'],
      ];
      const all = [...sets.flatMap((args) => renderChart(helm, args)), ...kustomize('check-only'), ...kustomize('repair')];
      return [...new Map(all.map((o) => [JSON.stringify(o), o])).values()];
    }

    for (const [version, pkg] of Object.entries(SCHEMAS))
      it(`Kubernetes ${version} (and the prometheus-operator CRDs)`, async () => {
        const objs = everything();
        assert.ok(objs.length > 40, `only ${objs.length} objects`);
        for (const kind of ['CronJob', 'Deployment', 'ServiceMonitor', 'PrometheusRule', 'ClusterRole', 'Namespace']) assert.ok(objs.some((o) => o.kind === kind), kind);
        assert.deepEqual(await problems(pkg, objs), []);
      });

    it('no field unknown to Kubernetes 1.27 (as kubectl apply --validate=strict)', () => {
      const objs = everything().filter((o) => !o.apiVersion.startsWith('monitoring.coreos.com/'));
      assert.deepEqual(unknownFields(objs), []);
    });

    it('the validation can fail: a wrong enum, a port that is no number, a missing schedule, a bad scrape interval, a misspelt field', async () => {
      const objs = renderChart(helm, ['-f', `${CHART}/examples/repair.yaml`]);
      const find = <T>(kind: string) => objs.find((o) => o.kind === kind) as unknown as T;
      const cron = find<{ spec: Record<string, unknown> }>('CronJob').spec;
      cron.concurrencyPolicy = 'Sometimes';
      delete cron.schedule;
      find<{ spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } }>('Deployment').spec.template.spec.containers[0]!.ports[0]!.containerPort = 'metrics';
      find<{ spec: { endpoints: { interval: string }[] } }>('ServiceMonitor').spec.endpoints[0]!.interval = '30 seconds';
      const watch = find<{ spec: { template: { spec: { containers: Record<string, unknown>[] } } } }>('Deployment').spec.template.spec.containers[0]!;
      watch.readinesProbe = watch.readinessProbe;
      assert.deepEqual(unknownFields(objs.filter((o) => o.kind === 'Deployment')), ['Deployment/coredns-sentinel/coredns-sentinel-watch: /spec/template/spec/containers/0 has unknown field readinesProbe']);
      for (const pkg of Object.values(SCHEMAS)) {
        const found = (await problems(pkg, objs)).join('\n');
        assert.match(found, /CronJob\/coredns-sentinel\/coredns-sentinel-check: .*must have required property '?schedule/);
        assert.match(found, /CronJob\/coredns-sentinel\/coredns-sentinel-check: .*concurrencyPolicy must be equal to one of the allowed values/);
        assert.match(found, /Deployment\/coredns-sentinel\/coredns-sentinel-watch: .*containerPort must be integer/);
        assert.match(found, /ServiceMonitor\/coredns-sentinel\/coredns-sentinel: .*interval must match pattern/);
      }
    });
  });

  it('README.md documents every value of values.yaml, and nothing else', () => {
    const rows = [...readFileSync(`${CHART}/README.md`, 'utf8').matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]!);
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as Record<string, unknown>;
    const at = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values);
    // A leaf, or a map documented whole (resources, labels …): some prefix of its path is a row.
    const leaves = (v: unknown, path: string): string[] =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !rows.includes(path)
        ? Object.entries(v).flatMap(([k, w]) => leaves(w, path ? `${path}.${k}` : k))
        : [path];
    assert.deepEqual(leaves(values, '').filter((p) => !rows.includes(p)), []);
    assert.deepEqual(rows.filter((r) => at(r) === undefined), []);
  });

  it('values.schema.json refuses a wrong mode, restart method or port and a misspelt key, naming the value', () => {
    const refused: [string, RegExp][] = [
      ['mode=probe', /at '\/mode': value must be one of 'in-cluster', 'probe-pod', 'port-forward', 'direct'/],
      ['repair.restartMethod=kill', /at '\/repair\/restartMethod': value must be one of 'evict', 'delete', 'rollout'/],
      ['watch.metricsPort=metrics', /at '\/watch\/metricsPort': got string, want integer/],
      ['watch.enable=true', /additional properties 'enable' not allowed/],
    ];
    for (const [set, message] of refused) {
      const r = run(helm, ['template', RELEASE, CHART, '--set', set]);
      assert.notEqual(r.status, 0, set);
      assert.match(r.stderr, message);
    }
  });
});
