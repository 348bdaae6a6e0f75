// What `helm template` renders, read the way a security reviewer reads it: every object valid against the
// Kubernetes schemas, pods locked down, RBAC limited to what the controller does, traffic limited to what it
// needs, and the CRDs exactly the generated ones.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  crdDir,
  FULLNAME,
  get,
  helmPath,
  type K8sObject,
  NAMESPACE,
  ofKind,
  render,
  single,
} from './chart.js';

type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

/** Every optional feature on, so every template renders. */
const EVERYTHING = {
  github: {
    app: {
      id: '12345',
      installationId: '67890',
      privateKeySecret: { name: 'vigil-github-app', key: 'key.pem' },
    },
  },
  webhook: { secret: { name: 'vigil-webhook', key: 'secret' } },
  additionalSecretNames: ['vigil-warehouse'],
  ingress: {
    enabled: true,
    className: 'nginx',
    host: 'vigil.example.org',
    tls: [{ secretName: 'vigil-tls', hosts: ['vigil.example.org'] }],
  },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  priorityClassName: 'governance-critical',
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
  ],
  imagePullSecrets: [{ name: 'regcred' }],
  image: { digest: `sha256:${'a'.repeat(64)}` },
  networkPolicy: {
    egress: { apiServer: { cidrs: ['10.0.0.1/32'] }, forge: { cidrs: ['140.82.112.0/20'] } },
    extraEgress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 9090, protocol: 'TCP' }] }],
  },
};

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

const rulesOf = (o: K8sObject) => (o.rules ?? []) as PolicyRule[];
const roles = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
const podSpec = (objects: K8sObject[]) =>
  get<Record<string, unknown>>(single(objects, 'Deployment'), 'spec.template.spec');
const container = (objects: K8sObject[]) =>
  get<Record<string, unknown>[]>(podSpec(objects), 'containers')[0]!;
const args = (objects: K8sObject[]) => get<string[]>(container(objects), 'args');

function validateAll(objects: K8sObject[]): void {
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    if (key === 'monitoring.coreos.com/v1/ServiceMonitor') continue; // checked on its own below
    const Model = MODELS[key];
    expect(Model, `no model for ${key}`).toBeDefined();
    expect(() => new Model!(o as never).validate(), `${key} ${o.metadata.name}`).not.toThrow();
  }
}

function loadCrdFiles(): Map<string, unknown> {
  const byName = new Map<string, unknown>();
  for (const file of readdirSync(crdDir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(crdDir, file), 'utf8')) as K8sObject;
    byName.set(crd.metadata.name, crd);
  }
  return byName;
}

let defaults: K8sObject[];

beforeAll(async () => {
  await helmPath(); // the first call downloads helm
  defaults = await render();
}, 180_000);

describe('helm template with default values', () => {
  it('renders only the expected kinds, each valid against the Kubernetes schemas', () => {
    const kinds = [...new Set(defaults.map((o) => o.kind))].sort();
    expect(kinds).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    validateAll(defaults);
  });

  it('labels every object the recommended way', () => {
    for (const o of defaults.filter((x) => x.kind !== 'CustomResourceDefinition')) {
      expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'vigil',
        'app.kubernetes.io/instance': 'gov',
        'app.kubernetes.io/version': '0.1.0',
        'app.kubernetes.io/component': 'controller',
        'app.kubernetes.io/part-of': 'vigil',
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': 'vigil-0.1.0',
      });
    }
  });

  it('puts namespaced objects in the release namespace', () => {
    for (const o of defaults) {
      const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(
        o.kind,
      );
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(
        clusterScoped ? undefined : NAMESPACE,
      );
    }
  });

  it('runs two replicas with leader election, the pod name as lease holder identity', () => {
    const deployment = single(defaults, 'Deployment');
    expect(get(deployment, 'spec.replicas')).toBe(2);
    expect(get(deployment, 'spec.strategy.rollingUpdate.maxUnavailable')).toBe(0);
    const a = args(defaults);
    expect(a[0]).toBe('controller');
    expect(a).toContain('--leader-elect');
    expect(a).toContain('--metrics-port=8080');
    expect(a).toContain(`--leader-election-id=${FULLNAME}`);
    expect(a).toContain('--leader-election-namespace=$(POD_NAMESPACE)');
    const env = get<{ name: string; valueFrom?: unknown }[]>(container(defaults), 'env');
    expect(env.find((e) => e.name === 'POD_NAME')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.name' },
    });
    expect(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom).toEqual({
      fieldRef: { fieldPath: 'metadata.namespace' },
    });
  });

  it('locks the pod down: non-root, read-only root filesystem, no privilege, no capabilities, seccomp', () => {
    const pod = podSpec(defaults);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = container(defaults);
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace']) {
      expect(pod[field], field).toBeUndefined();
    }
    const volumes = get<Record<string, unknown>[]>(pod, 'volumes');
    expect(volumes.filter((v) => 'hostPath' in v)).toEqual([]);
    const tmp = volumes.find((v) => v.name === 'tmp');
    expect(get(tmp, 'emptyDir.sizeLimit')).toBe('256Mi');
    expect(get<{ name: string; mountPath: string }[]>(c, 'volumeMounts')).toContainEqual({
      name: 'tmp',
      mountPath: '/tmp',
    });
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe(FULLNAME);
    expect(single(defaults, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it('pulls a pinned tag, never latest', () => {
    const image = get<string>(container(defaults), 'image');
    expect(image).toBe('ghcr.io/vigil-dev/vigil:0.1.0');
    expect(get(container(defaults), 'imagePullPolicy')).toBe('IfNotPresent');
  });

  it('probes health and readiness on the metrics port and sets requests and limits', () => {
    const c = container(defaults);
    const ports = get<{ name: string; containerPort: number }[]>(c, 'ports');
    expect(ports).toContainEqual({ name: 'metrics', containerPort: 8080, protocol: 'TCP' });
    expect(ports).toContainEqual({ name: 'webhook', containerPort: 8443, protocol: 'TCP' });
    expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/healthz', port: 'metrics' });
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/healthz', port: 'metrics' });
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 'metrics' });
    for (const path of ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']) {
      expect(get(c.resources, path), path).toBeTruthy();
    }
  });

  it('caps the controller heap as the benchmark measured it, well inside the memory limit', () => {
    const c = container(defaults);
    const env = get<{ name: string; value?: string }[]>(c, 'env');
    const options = env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
    expect(oldSpace).toBeGreaterThan(0);
    const limit = String(get(c.resources, 'limits.memory'));
    const limitMiB = Number(/^(\d+)Mi$/.exec(limit)?.[1]);
    expect(oldSpace).toBeLessThan(limitMiB / 2);
  });

  it('spreads the replicas over nodes with a soft anti-affinity by default', () => {
    const term = get<Record<string, unknown>[]>(
      podSpec(defaults),
      'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution',
    )[0];
    expect(get(term, 'podAffinityTerm.topologyKey')).toBe('kubernetes.io/hostname');
    expect(get(term, 'podAffinityTerm.labelSelector.matchLabels')).toEqual(
      get(single(defaults, 'Deployment'), 'spec.selector.matchLabels'),
    );
  });

  it('keeps one pod up through voluntary disruptions', () => {
    const pdb = single(defaults, 'PodDisruptionBudget');
    expect(get(pdb, 'spec.minAvailable')).toBe(1);
    expect(get(pdb, 'spec.selector.matchLabels')).toEqual(
      get(single(defaults, 'Deployment'), 'spec.selector.matchLabels'),
    );
  });

  it('exposes the webhook and metrics ports through the Service, by container port name', () => {
    const service = single(defaults, 'Service');
    expect(get(service, 'spec.type')).toBe('ClusterIP');
    expect(get(service, 'spec.ports')).toEqual([
      { name: 'webhook', port: 8443, targetPort: 'webhook', protocol: 'TCP' },
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    expect(get(service, 'spec.selector')).toEqual(
      get(single(defaults, 'Deployment'), 'spec.selector.matchLabels'),
    );
  });

  it('allows in only the webhook and metrics ports, and out only DNS, the API server and HTTPS', () => {
    const policy = single(defaults, 'NetworkPolicy');
    expect(get(policy, 'spec.policyTypes')).toEqual(['Ingress', 'Egress']);
    expect(get(policy, 'spec.podSelector.matchLabels')).toEqual(
      get(single(defaults, 'Deployment'), 'spec.selector.matchLabels'),
    );
    const ingress = get<{ ports: { port: string | number }[]; from?: unknown[] }[]>(policy, 'spec.ingress');
    expect(ingress.map((r) => r.ports.map((p) => p.port))).toEqual([['webhook'], ['metrics']]);
    for (const rule of ingress) expect(rule.from).toEqual([{ namespaceSelector: {} }]);
    const egress = get<{ ports: { port: number; protocol: string }[]; to?: unknown[] }[]>(
      policy,
      'spec.egress',
    );
    const egressPorts = egress.flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`));
    expect(new Set(egressPorts)).toEqual(new Set(['53/UDP', '53/TCP', '443/TCP', '6443/TCP']));
    expect(egress[0]?.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
  });
});

describe('RBAC', () => {
  it('has no wildcards and no verbs that hand out more power', () => {
    for (const role of roles(defaults)) {
      for (const rule of rulesOf(role)) {
        const where = `${role.kind} ${role.metadata.name}`;
        expect(rule.verbs, where).not.toContain('*');
        expect(rule.resources ?? [], where).not.toContain('*');
        expect(rule.apiGroups ?? [], where).not.toContain('*');
        for (const verb of ['escalate', 'bind', 'impersonate']) expect(rule.verbs, where).not.toContain(verb);
        expect(rule.resources ?? [], where).not.toContain('pods/exec');
      }
    }
  });

  it('lets the controller create Promotions and only read and patch the declared kinds', () => {
    const controllerRole = single(defaults, 'ClusterRole', FULLNAME);
    const verbsFor = (resource: string) =>
      rulesOf(controllerRole)
        .filter((r) => r.apiGroups?.includes('vigil.dev') && r.resources?.includes(resource))
        .flatMap((r) => r.verbs)
        .sort();
    for (const kind of [
      'usecases',
      'datacontracts',
      'releasetrains',
      'surveillancepolicies',
      'signoffpolicies',
    ]) {
      expect(verbsFor(kind), kind).toEqual(['get', 'list', 'patch', 'watch']);
      expect(verbsFor(`${kind}/status`), kind).toEqual(['get', 'patch', 'update']);
      expect(verbsFor(`${kind}/finalizers`), kind).toEqual(['update']);
    }
    expect(verbsFor('promotions')).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    const events = rulesOf(controllerRole).filter((r) => r.resources?.includes('events'));
    expect(events.map((r) => r.apiGroups)).toEqual([['']]);
    for (const rule of events) expect(rule.verbs).toEqual(['create', 'patch']);
    const binding = single(defaults, 'ClusterRoleBinding');
    expect(get(binding, 'roleRef')).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: FULLNAME,
    });
    expect(get(binding, 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE },
    ]);
  });

  it('grants Leases only in the release namespace, and only its own Lease beyond create', () => {
    for (const role of roles(defaults)) {
      const leaseRules = rulesOf(role).filter((r) => r.resources?.includes('leases'));
      if (leaseRules.length === 0) continue;
      expect(role.kind).toBe('Role');
      expect(role.metadata.namespace).toBe(NAMESPACE);
      expect(leaseRules).toEqual([
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: [FULLNAME],
          verbs: ['get', 'update'],
        },
      ]);
    }
    expect(
      roles(defaults).filter((r) => rulesOf(r).some((x) => x.resources?.includes('leases'))),
    ).toHaveLength(1);
  });

  it('grants no Secrets when none are named', () => {
    for (const role of roles(defaults)) {
      expect(rulesOf(role).filter((r) => r.resources?.includes('secrets'))).toEqual([]);
    }
  });

  it('grants get, and only get, on exactly the named Secrets in the release namespace', async () => {
    const objects = await render(EVERYTHING);
    const secretRules = roles(objects).flatMap((role) =>
      rulesOf(role)
        .filter((r) => r.resources?.includes('secrets'))
        .map((rule) => ({ role, rule })),
    );
    expect(secretRules).toHaveLength(1);
    const { role, rule } = secretRules[0]!;
    expect(role.kind).toBe('Role');
    expect(role.metadata.namespace).toBe(NAMESPACE);
    expect(rule).toEqual({
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: ['vigil-github-app', 'vigil-warehouse', 'vigil-webhook'],
      verbs: ['get'],
    });
  });

  it('uses a Role and RoleBinding per watched namespace, and no cluster-wide grant for the controller', async () => {
    const objects = await render({ controller: { watchNamespaces: ['radiology', 'revenue-cycle'] } });
    validateAll(objects);
    expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
    expect(ofKind(objects, 'ClusterRole').map((r) => r.metadata.name)).toEqual([
      `${FULLNAME}-view`,
      `${FULLNAME}-edit`,
    ]);
    for (const namespace of ['radiology', 'revenue-cycle']) {
      const role = ofKind(objects, 'Role').find((r) => r.metadata.namespace === namespace);
      expect(rulesOf(role!).some((r) => r.resources?.includes('promotions'))).toBe(true);
      const binding = ofKind(objects, 'RoleBinding').find((r) => r.metadata.namespace === namespace);
      expect(get(binding, 'roleRef.kind')).toBe('Role');
      expect(get(binding, 'subjects')).toEqual([
        { kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE },
      ]);
    }
    expect(args(objects)).toContain('--watch-namespaces=radiology,revenue-cycle');
  });

  it('lets people read every kind, and write all but Promotions, through the built-in roles', () => {
    const view = single(defaults, 'ClusterRole', `${FULLNAME}-view`);
    expect(view.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect(rulesOf(view).flatMap((r) => r.verbs)).toEqual(['get', 'list', 'watch']);
    const edit = single(defaults, 'ClusterRole', `${FULLNAME}-edit`);
    expect(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
    expect(rulesOf(edit).flatMap((r) => r.resources)).not.toContain('promotions');
  });

  it('renders no RBAC when rbac.create is off', async () => {
    const objects = await render({ rbac: { create: false } });
    expect(roles(objects)).toEqual([]);
    expect(objects.filter((o) => o.kind.endsWith('Binding'))).toEqual([]);
  });
});

describe('CRDs', () => {
  it('are the generated objects in crd/, plus only the keep annotation', () => {
    const files = loadCrdFiles();
    const rendered = ofKind(defaults, 'CustomResourceDefinition');
    expect(rendered.map((c) => c.metadata.name).sort()).toEqual([...files.keys()].sort());
    for (const crd of rendered) {
      const { annotations, ...metadata } = crd.metadata;
      expect(annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      expect({ ...crd, metadata }, crd.metadata.name).toEqual(files.get(crd.metadata.name));
    }
  });

  it('are exactly the generated objects with crds.keep off', async () => {
    const files = loadCrdFiles();
    const rendered = ofKind(await render({ crds: { keep: false } }), 'CustomResourceDefinition');
    expect(rendered).toHaveLength(files.size);
    for (const crd of rendered) expect(crd, crd.metadata.name).toEqual(files.get(crd.metadata.name));
  });

  it('are not rendered with crds.install off', async () => {
    const objects = await render({ crds: { install: false } });
    expect(ofKind(objects, 'CustomResourceDefinition')).toEqual([]);
    expect(ofKind(objects, 'Deployment')).toHaveLength(1);
  });
});

describe('optional features', () => {
  let everything: K8sObject[];

  beforeAll(async () => {
    everything = await render(EVERYTHING);
  });

  it('all render and validate', () => {
    validateAll(everything);
  });

  it('mounts credentials as read-only files from existing Secrets and passes only their paths', () => {
    const pod = podSpec(everything);
    const volumes = get<{ name: string; secret?: { secretName: string; defaultMode: number } }[]>(
      pod,
      'volumes',
    );
    expect(volumes.filter((v) => v.secret).map((v) => [v.secret!.secretName, v.secret!.defaultMode])).toEqual(
      [
        ['vigil-github-app', 0o440],
        ['vigil-webhook', 0o440],
      ],
    );
    const mounts = get<{ name: string; readOnly?: boolean }[]>(container(everything), 'volumeMounts');
    for (const mount of mounts.filter((m) => m.name !== 'tmp')) expect(mount.readOnly, mount.name).toBe(true);
    const a = args(everything);
    expect(a).toContain('--github-app-id=12345');
    expect(a).toContain('--github-app-installation-id=67890');
    expect(a).toContain('--github-app-private-key-file=/var/run/secrets/vigil/github-app/key.pem');
    expect(a).toContain('--webhook-secret-file=/var/run/secrets/vigil/webhook/secret');
    // Processed delivery ids on the writable scratch volume: they survive a container restart.
    expect(a).toContain('--webhook-deliveries-file=/tmp/webhook-deliveries.log');
    expect(ofKind(everything, 'Secret')).toEqual([]);
  });

  it('passes each data host to the controller, and refuses one that is not a host', async () => {
    const rendered = await render({ controller: { dataHosts: ['db.internal:5432', 'lake.example.com'] } });
    expect(args(rendered).filter((a) => a.startsWith('--data-host'))).toEqual([
      '--data-host=db.internal:5432',
      '--data-host=lake.example.com',
    ]);
    expect(args(defaults).filter((a) => a.startsWith('--data-host'))).toEqual([]);
    await expect(render({ controller: { dataHosts: ['https://db.internal'] } })).rejects.toThrow(
      /controller\.dataHosts\.0: Does not match pattern/,
    );
  });

  it('pins the image by digest', () => {
    expect(get(container(everything), 'image')).toBe(`ghcr.io/vigil-dev/vigil@sha256:${'a'.repeat(64)}`);
  });

  it('fills in the pod selector of topology spread constraints', () => {
    expect(get(podSpec(everything), 'topologySpreadConstraints')).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: get(single(everything, 'Deployment'), 'spec.selector.matchLabels') },
      },
    ]);
    expect(get(podSpec(everything), 'priorityClassName')).toBe('governance-critical');
    expect(get(podSpec(everything), 'imagePullSecrets')).toEqual([{ name: 'regcred' }]);
  });

  it('narrows egress to the given CIDRs and adds extra rules', () => {
    const egress = get<{ ports: { port: number }[]; to?: unknown[] }[]>(
      single(everything, 'NetworkPolicy'),
      'spec.egress',
    );
    expect(egress[1]?.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }]);
    expect(egress[2]?.to).toEqual([{ ipBlock: { cidr: '140.82.112.0/20' } }]);
    expect(egress[3]).toEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
      ports: [{ port: 9090, protocol: 'TCP' }],
    });
  });

  it('exposes only the webhook path through the Ingress', () => {
    const ingress = single(everything, 'Ingress');
    expect(get(ingress, 'spec.rules')).toEqual([
      {
        host: 'vigil.example.org',
        http: {
          paths: [
            {
              path: '/webhooks/github',
              pathType: 'Exact',
              backend: { service: { name: FULLNAME, port: { name: 'webhook' } } },
            },
          ],
        },
      },
    ]);
  });

  it('scrapes the metrics port with a ServiceMonitor', () => {
    const monitor = single(everything, 'ServiceMonitor');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels?.release).toBe('prometheus');
    expect(get(monitor, 'spec.endpoints')).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(get(monitor, 'spec.selector.matchLabels')).toEqual(
      get(single(everything, 'Deployment'), 'spec.selector.matchLabels'),
    );
  });

  it('with one replica drops the PodDisruptionBudget, which would block node drains', async () => {
    const objects = await render({ replicaCount: 1 });
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
  });

  it('without webhooks drops the webhook port everywhere', async () => {
    const objects = await render({ webhook: { enabled: false } });
    expect(get<{ name: string }[]>(single(objects, 'Service'), 'spec.ports').map((p) => p.name)).toEqual([
      'metrics',
    ]);
    expect(get<{ name: string }[]>(container(objects), 'ports').map((p) => p.name)).toEqual(['metrics']);
    expect(args(objects).some((a) => a.startsWith('--webhook'))).toBe(false);
    const ingress = get<{ ports: { port: string }[] }[]>(single(objects, 'NetworkPolicy'), 'spec.ingress');
    expect(ingress.map((r) => r.ports[0]?.port)).toEqual(['metrics']);
  });
});

describe('values the chart refuses while rendering', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'more than one replica without leader election',
      { controller: { leaderElection: { enabled: false } } },
      /leaderElection\.enabled must be true when replicaCount is more than 1/,
    ],
    [
      'a renew deadline as long as the lease',
      { controller: { leaderElection: { renewDeadlineSeconds: 15 } } },
      /renewDeadlineSeconds must be less than leaseDurationSeconds/,
    ],
    [
      'the webhook on the metrics port',
      { webhook: { port: 8080 } },
      /webhook\.port and controller\.metricsPort must differ/,
    ],
    [
      "the namespace's default ServiceAccount",
      { serviceAccount: { create: false } },
      /serviceAccount\.name is required when serviceAccount\.create is false/,
    ],
    [
      'a GitHub App key without the App and installation IDs',
      { github: { app: { privateKeySecret: { name: 'key' } } } },
      /github\.app\.id and github\.app\.installationId are required/,
    ],
    [
      'both a token and a GitHub App',
      {
        github: {
          tokenSecret: { name: 'tok' },
          app: { id: 1, installationId: 2, privateKeySecret: { name: 'k' } },
        },
      },
      /either github\.tokenSecret\.name or github\.app\.privateKeySecret\.name/,
    ],
    ['an Ingress without a host', { ingress: { enabled: true } }, /ingress\.host is required/],
  ])('%s', async (_, values, message) => {
    await expect(render(values)).rejects.toThrow(message);
  });
});

describe('other settings', () => {
  it('uses an existing ServiceAccount by name', async () => {
    const objects = await render({ serviceAccount: { create: false, name: 'governance' } });
    expect(ofKind(objects, 'ServiceAccount')).toEqual([]);
    expect(podSpec(objects).serviceAccountName).toBe('governance');
    expect(get(single(objects, 'ClusterRoleBinding'), 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'governance', namespace: NAMESPACE },
    ]);
  });

  it('reads a token from a mounted Secret', async () => {
    const objects = await render({ github: { tokenSecret: { name: 'vigil-github' } } });
    expect(args(objects)).toContain('--github-token-file=/var/run/secrets/vigil/github-token/token');
    const volume = get<{ name: string; secret?: unknown }[]>(podSpec(objects), 'volumes').find(
      (v) => v.name === 'github-token',
    );
    expect(volume?.secret).toEqual({
      secretName: 'vigil-github',
      defaultMode: 0o440,
      items: [{ key: 'token', path: 'token' }],
    });
  });

  it('renders without the NetworkPolicy and the PodDisruptionBudget when they are off', async () => {
    const objects = await render({
      networkPolicy: { enabled: false },
      podDisruptionBudget: { enabled: false },
    });
    expect(ofKind(objects, 'NetworkPolicy')).toEqual([]);
    expect(ofKind(objects, 'PodDisruptionBudget')).toEqual([]);
    validateAll(objects);
  });

  it('replaces the default anti-affinity with the given affinity', async () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['platform'] }] }],
        },
      },
    };
    const objects = await render({ affinity });
    expect(podSpec(objects).affinity).toEqual(affinity);
  });
});
