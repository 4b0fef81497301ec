/**
 * deploy/kubernetes: every object is valid against the Kubernetes JSON schemas
 * (kubernetes-models), and the invariants a production gateway needs hold:
 * replicas, probes, limits, a locked-down container, secrets by reference, the
 * capability ConfigMap equal to capability.yaml, and objects that select each other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { resolveConfig } from '../../src/settings/index.js';
import { hashApiKey, loadApiKeys } from '../../src/security/api-keys.js';
import { checkExposure } from '../../src/security/exposure.js';
import { InboundAuth } from '../../src/security/inbound-auth.js';
import { parseDockerfile } from '../helpers/dockerfile.js';
import { ROOT } from '../helpers/gateway-process.js';

const DIR = join(ROOT, 'deploy', 'kubernetes');

type Obj = Record<string, unknown>;

/** at walks a path of keys and indexes through parsed YAML. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

interface Kustomization {
  resources: string[];
  configMapGenerator: { name: string; files: string[]; options?: { disableNameSuffixHash?: boolean } }[];
}

const kustomization = parseYaml(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as Kustomization;
const objects: Obj[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    t.same(doc.errors, [], `${file} parses`);
    return doc.toJS() as Obj;
  }),
);
const secretExample = parseYaml(readFileSync(join(DIR, 'secret.example.yaml'), 'utf8')) as Obj;

function only(kind: string): Obj {
  const found = objects.filter((o) => o['kind'] === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as Obj;
}

/** Where kubernetes-models keeps each kind (core v1 is `v1`, the rest `group/version`). */
async function validate(object: Obj): Promise<void> {
  const apiVersion = String(object['apiVersion']);
  const kind = String(object['kind']);
  const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[kind];
  if (Model === undefined) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  new Model(object).validate();
}

t.test('every object validates against the Kubernetes schemas', async (t) => {
  t.same(objects.map((o) => o['kind']).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);
  for (const object of [...objects, secretExample]) {
    await t.resolves(validate(object), `${String(object['kind'])} ${String(at(object, 'metadata', 'name'))}`);
  }
});

t.test('the ConfigMap holds the shipped capability.yaml', async (t) => {
  const generator = kustomization.configMapGenerator.find((g) => g.name === 'naftiko-gateway-capability');
  t.same(generator?.files, ['capability.yaml']);
  t.equal(generator?.options?.disableNameSuffixHash, true, 'stable name, so --watch sees updates in place');
  t.equal(readFileSync(join(DIR, 'capability.yaml'), 'utf8'), readFileSync(join(ROOT, 'capability.yaml'), 'utf8'), 'deploy/kubernetes/capability.yaml equals capability.yaml (cp capability.yaml deploy/kubernetes/)');
});

t.test('Deployment: replicas, probes, resources, locked-down container, secrets by reference', async (t) => {
  const deployment = only('Deployment');
  const pod = at(deployment, 'spec', 'template', 'spec') as Obj;
  const containers = at(pod, 'containers') as Obj[];
  t.equal(containers.length, 1);
  const c = containers[0] as Obj;
  t.ok((at(deployment, 'spec', 'replicas') as number) >= 2, '2+ replicas');
  t.equal(at(deployment, 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable'), 0, 'rollouts never drop below the replica count');
  t.equal(at(c, 'readinessProbe', 'httpGet', 'path'), '/readyz');
  t.equal(at(c, 'livenessProbe', 'httpGet', 'path'), '/healthz');
  const ports = new Map((at(c, 'ports') as Obj[]).map((p) => [p['name'], p['containerPort']]));
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) t.ok(ports.has(at(c, probe, 'httpGet', 'port')), `${probe} uses a named container port`);

  const capability = parseYaml(readFileSync(join(ROOT, 'capability.yaml'), 'utf8')) as Obj;
  const exposes = at(capability, 'capability', 'exposes') as Obj[];
  t.equal(ports.get('rest'), exposes.find((e) => e['type'] === 'rest')?.['port'], 'rest port matches the capability');
  t.equal(ports.get('mcp'), exposes.find((e) => e['type'] === 'mcp')?.['port'], 'mcp port matches the capability');

  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) t.ok(at(c, 'resources', kind, resource), `resources.${kind}.${resource}`);
  }
  t.equal(at(c, 'securityContext', 'readOnlyRootFilesystem'), true);
  t.equal(at(c, 'securityContext', 'allowPrivilegeEscalation'), false);
  t.equal(at(c, 'securityContext', 'runAsNonRoot'), true);
  t.same(at(c, 'securityContext', 'capabilities', 'drop'), ['ALL']);
  t.equal(at(pod, 'securityContext', 'runAsNonRoot'), true);
  t.equal(at(pod, 'automountServiceAccountToken'), false);
  const dockerUser = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1)?.instructions.filter((i) => i.name === 'USER').at(-1)?.args;
  t.equal(String(at(pod, 'securityContext', 'runAsUser')), dockerUser?.split(':')[0], 'runAsUser is the image user');

  const env = new Map((at(c, 'env') as Obj[]).map((e) => [e['name'], e]));
  const volumes = new Map((at(pod, 'volumes') as Obj[]).map((v) => [v['name'], v]));
  const mounts = new Map((at(c, 'volumeMounts') as Obj[]).map((m) => [m['mountPath'], m]));
  const mountOf = (file: string): Obj | undefined => [...mounts.entries()].find(([path]) => file.startsWith(path + '/'))?.[1];

  const capabilityPath = String(at(env.get('GATEWAY_CAPABILITY'), 'value'));
  const capabilityMount = mountOf(capabilityPath);
  t.equal(at(volumes.get(capabilityMount?.['name']), 'configMap', 'name'), 'naftiko-gateway-capability', 'the capability comes from the ConfigMap');
  t.notOk(capabilityMount?.['subPath'], 'directory mount, so updates reach the pod');
  t.equal(at(env.get('GATEWAY_WATCH'), 'value'), 'true');
  t.equal(at(env.get('GATEWAY_MCP_STATELESS'), 'value'), 'true', 'MCP needs no session affinity across replicas');

  t.notOk(env.has('LABEL_STUDIO_API_KEY'), 'the upstream key is never a literal');
  const keyFile = String(at(env.get('LABEL_STUDIO_API_KEY_FILE'), 'value'));
  const keyVolume = volumes.get(mountOf(keyFile)?.['name']);
  t.equal(at(keyVolume, 'secret', 'secretName'), 'naftiko-gateway-secrets', 'LABEL_STUDIO_API_KEY is read from the mounted Secret');
  const keyItem = (at(keyVolume, 'secret', 'items') as Obj[]).find((i) => keyFile.endsWith('/' + String(i['path'])));
  t.ok(keyItem, 'the key file is one of the Secret items');
  t.same(at(env.get('GATEWAY_API_KEYS'), 'valueFrom', 'secretKeyRef'), { name: 'naftiko-gateway-secrets', key: 'gateway-api-keys' }, 'inbound keys are required');
  for (const e of env.values()) t.notOk(/KEY|TOKEN|SECRET/.test(String(e['name'])) && !String(e['name']).endsWith('_FILE') && 'value' in e, `${String(e['name'])} is not a literal secret`);

  const secretKeys = Object.keys(at(secretExample, 'stringData') as Obj).sort();
  t.same(at(env.get('DATABASE_URL'), 'valueFrom', 'secretKeyRef'), { name: 'naftiko-gateway-secrets', key: 'ledger-database-url' }, 'replicas share one PostgreSQL ledger, required');
  t.same(secretKeys, [String(keyItem?.['key']), 'gateway-api-keys', 'ledger-database-url'].sort(), 'secret.example.yaml has every key the Deployment reads');
  t.equal(at(secretExample, 'metadata', 'name'), 'naftiko-gateway-secrets');
  t.ok(mounts.has('/tmp') && at(volumes.get(mounts.get('/tmp')?.['name']), 'emptyDir') !== undefined, 'a writable /tmp on a read-only root');
});

/** PodStart is what the kubelet and then the gateway would do with the rendered environment. */
type PodStart = { readonly started: false; readonly reason: string } | { readonly started: true; readonly env: Record<string, string> };

/**
 * renderPodEnv builds the container's environment as the kubelet would: the image's ENV, then the
 * Deployment's env with secretKeyRefs resolved from `secret`; a required key missing from the Secret
 * stops the container before it runs (CreateContainerConfigError).
 */
function renderPodEnv(secret: Readonly<Record<string, string>>): PodStart {
  const env: Record<string, string> = {};
  const runtime = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).at(-1);
  for (const i of runtime?.instructions.filter((x) => x.name === 'ENV') ?? []) {
    for (const [, k, v] of i.args.matchAll(/(\w+)=(\S+)/g)) env[k as string] = v as string;
  }
  const container = at(only('Deployment'), 'spec', 'template', 'spec', 'containers', 0) as Obj;
  for (const e of at(container, 'env') as Obj[]) {
    const name = String(e['name']);
    if (typeof e['value'] === 'string') {
      env[name] = e['value'];
      continue;
    }
    const ref = at(e, 'valueFrom', 'secretKeyRef') as { key: string; optional?: boolean } | undefined;
    if (ref === undefined) continue;
    const value = secret[ref.key];
    if (value !== undefined) env[name] = value;
    else if (ref.optional !== true) return { started: false, reason: `CreateContainerConfigError: couldn't find key ${ref.key} in Secret` };
  }
  return { started: true, env };
}

/** gatewayAccepts runs the gateway's own start-up checks on an environment: '' when it would serve, else its error. */
function gatewayAccepts(env: Record<string, string>): string {
  try {
    const config = resolveConfig({}, env);
    const auth = new InboundAuth(loadApiKeys({ inline: config.apiKeys, file: config.apiKeysFile }));
    checkExposure(config.host, auth.enabled, config.allowUnauthenticated === true);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

t.test('the rendered pod either serves with inbound keys or does not start: never a crash loop', async (t) => {
  const example = at(secretExample, 'stringData') as Record<string, string>;
  // secret.example.yaml holds placeholders; a real Secret holds "id:sha256-hex:scopes" entries.
  const secret = { ...example, 'gateway-api-keys': `ops:${hashApiKey('a client key')}:read,write` };
  const full = renderPodEnv(secret);
  t.equal(full.started, true, 'a complete Secret starts the container');
  if (full.started) {
    t.equal(full.env['GATEWAY_HOST'], '0.0.0.0', 'the image binds every interface');
    t.equal(gatewayAccepts(full.env), '', 'and the gateway serves: inbound keys are on');
  }
  const { 'gateway-api-keys': _omitted, ...withoutKeys } = secret;
  const bare = renderPodEnv(withoutKeys);
  t.match(bare, { started: false, reason: /gateway-api-keys/ }, 'a Secret without inbound keys stops at CreateContainerConfigError, with the key named');
  if (bare.started) t.equal(gatewayAccepts(bare.env), '', 'a pod that starts without keys must still be able to serve');
  // The documented alternative, GATEWAY_ALLOW_UNAUTHENTICATED=1, is what the gateway accepts instead of keys.
  t.equal(gatewayAccepts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_ALLOW_UNAUTHENTICATED: '1', GATEWAY_LEDGER: 'off' }), '');
  t.match(gatewayAccepts({ GATEWAY_HOST: '0.0.0.0', GATEWAY_LEDGER: 'off' }), /refusing to bind 0\.0\.0\.0 without inbound authentication/);
});

t.test('Service, HPA and PDB point at the Deployment', async (t) => {
  const deployment = only('Deployment');
  const podLabels = at(deployment, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
  const matches = (selector: unknown): boolean => Object.entries(selector as Record<string, string>).every(([k, v]) => podLabels[k] === v);
  t.ok(matches(at(deployment, 'spec', 'selector', 'matchLabels')), 'Deployment selects its pods');

  const service = only('Service');
  t.ok(matches(at(service, 'spec', 'selector')), 'Service selects the pods');
  const containerPorts = new Set(((at(deployment, 'spec', 'template', 'spec', 'containers', 0, 'ports') as Obj[]) ?? []).map((p) => p['name']));
  for (const port of at(service, 'spec', 'ports') as Obj[]) t.ok(containerPorts.has(port['targetPort']), `service port ${String(port['name'])} targets a container port`);

  const hpa = only('HorizontalPodAutoscaler');
  t.same(at(hpa, 'spec', 'scaleTargetRef'), { apiVersion: 'apps/v1', kind: 'Deployment', name: at(deployment, 'metadata', 'name') });
  t.ok((at(hpa, 'spec', 'minReplicas') as number) >= 2, 'never autoscaled below 2');
  t.ok((at(hpa, 'spec', 'maxReplicas') as number) > (at(hpa, 'spec', 'minReplicas') as number));

  const pdb = only('PodDisruptionBudget');
  t.ok(matches(at(pdb, 'spec', 'selector', 'matchLabels')), 'PDB selects the pods');
  t.ok((at(pdb, 'spec', 'minAvailable') as number) < (at(hpa, 'spec', 'minReplicas') as number), 'a drain can still evict a pod');
});
