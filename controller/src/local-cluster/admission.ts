// Validating admission webhooks, called as the Kubernetes API server calls them: ValidatingWebhookConfiguration
// objects (admissionregistration.k8s.io/v1) say which writes go to which webhook; each matching create or update
// is POSTed as an AdmissionReview v1 over HTTPS, trusting the configuration's caBundle, within its timeoutSeconds.
// A refusal is answered with the real server's words ("admission webhook "NAME" denied the request: ..."); a
// webhook that cannot be called refuses the write under failurePolicy Fail and is passed over under Ignore.
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { objectSchema } from './builtins.js';
import { ApiError, fieldError, internalError, type StatusCause } from './errors.js';
import { ALL_VERBS, apiVersionOf, type KubeObject, type ResourceType } from './resources.js';
import { type LabelSelector, matchesLabels } from './selectors.js';
import { type ObjectStore, parse } from './store.js';
import { ageCell } from './table.js';

type Json = Record<string, unknown>;

const GROUP = 'admissionregistration.k8s.io';
const anyObject = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', '*'];
const DEFAULT_TIMEOUT_SECONDS = 10;

export const validatingWebhookConfigurationType: ResourceType = {
  group: GROUP,
  version: 'v1',
  kind: 'ValidatingWebhookConfiguration',
  listKind: 'ValidatingWebhookConfigurationList',
  plural: 'validatingwebhookconfigurations',
  singular: 'validatingwebhookconfiguration',
  namespaced: false,
  shortNames: [],
  categories: ['api-extensions'],
  verbs: ALL_VERBS,
  statusSubresource: false,
  custom: false,
  allowUnconditionalUpdate: true,
  returnDeletedObject: false,
  storageKey: `${GROUP}/validatingwebhookconfigurations`,
  storageApiVersion: `${GROUP}/v1`,
  extraFieldSelectors: [],
  printerColumns: [],
  builtinColumns: [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name.',
      cell: (o) => o.metadata?.name ?? '',
    },
    {
      name: 'Webhooks',
      type: 'integer',
      description: 'How many webhooks the configuration declares.',
      cell: (o) => (((o as Json).webhooks as unknown[] | undefined) ?? []).length,
    },
    {
      name: 'Age',
      type: 'string',
      description: 'How long ago the object was created.',
      cell: (o, now) => ageCell(o.metadata?.creationTimestamp, now),
    },
  ],
  openapiSchema: objectSchema(
    'ValidatingWebhookConfiguration',
    'ValidatingWebhookConfiguration describes the webhooks that accept or reject an object without changing it.',
    { webhooks: { type: 'array', items: anyObject, 'x-kubernetes-patch-merge-key': 'name' } },
  ),
  behaviour: {
    prepare(obj) {
      for (const hook of webhooksOf(obj)) defaultWebhook(hook);
    },
    validate: (obj) => validateWebhooks(obj),
  },
};

function webhooksOf(obj: KubeObject): Json[] {
  const hooks = (obj as Json).webhooks;
  return Array.isArray(hooks) ? hooks.filter((h): h is Json => isObject(h)) : [];
}

/** The defaults the real server fills in, so `kubectl get -o yaml` shows what is in force. */
function defaultWebhook(hook: Json): void {
  hook.failurePolicy ??= 'Fail';
  hook.matchPolicy ??= 'Equivalent';
  hook.timeoutSeconds ??= DEFAULT_TIMEOUT_SECONDS;
  hook.namespaceSelector ??= {};
  hook.objectSelector ??= {};
  const service = (hook.clientConfig as Json | undefined)?.service as Json | undefined;
  if (service) service.port ??= 443;
  for (const rule of Array.isArray(hook.rules) ? hook.rules : []) if (isObject(rule)) rule.scope ??= '*';
}

function validateWebhooks(obj: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  webhooksOf(obj).forEach((hook, i) => {
    const at = `webhooks[${i}]`;
    const name = hook.name;
    if (typeof name !== 'string' || name === '') causes.push(fieldError.required(`${at}.name`));
    else if (names.has(name)) causes.push(fieldError.duplicate(`${at}.name`, name));
    else {
      names.add(name);
      // A fully qualified name, at least three segments: the real server's rule.
      if (name.split('.').length < 3)
        causes.push(
          fieldError.invalid(
            `${at}.name`,
            name,
            'should be a domain with at least three segments separated by dots',
          ),
        );
    }
    const versions = hook.admissionReviewVersions;
    if (!Array.isArray(versions) || versions.length === 0)
      causes.push(fieldError.required(`${at}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    else if (!versions.includes('v1') && !versions.includes('v1beta1'))
      causes.push(
        fieldError.invalid(
          `${at}.admissionReviewVersions`,
          versions,
          'must include at least one of v1, v1beta1',
        ),
      );
    if (!['None', 'NoneOnDryRun'].includes(String(hook.sideEffects)))
      causes.push(fieldError.notSupported(`${at}.sideEffects`, hook.sideEffects, ['None', 'NoneOnDryRun']));
    if (!['Fail', 'Ignore'].includes(String(hook.failurePolicy)))
      causes.push(fieldError.notSupported(`${at}.failurePolicy`, hook.failurePolicy, ['Fail', 'Ignore']));
    const timeout = hook.timeoutSeconds;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 30)
      causes.push(
        fieldError.invalid(
          `${at}.timeoutSeconds`,
          timeout,
          'the timeout value must be between 1 and 30 seconds',
        ),
      );
    const config = hook.clientConfig as Json | undefined;
    const hasUrl = typeof config?.url === 'string';
    const hasService = isObject(config?.service);
    if (hasUrl === hasService) {
      causes.push(fieldError.required(`${at}.clientConfig`, 'exactly one of url or service is required'));
    } else if (hasUrl) {
      let url: URL | undefined;
      try {
        url = new URL(String(config!.url));
      } catch {
        url = undefined;
      }
      if (url?.protocol !== 'https:')
        causes.push(
          fieldError.invalid(`${at}.clientConfig.url`, config!.url, "'https' is the only allowed URL scheme"),
        );
    } else {
      const service = config!.service as Json;
      if (!service.name) causes.push(fieldError.required(`${at}.clientConfig.service.name`));
      if (!service.namespace) causes.push(fieldError.required(`${at}.clientConfig.service.namespace`));
    }
    (Array.isArray(hook.rules) ? hook.rules : []).forEach((rule: unknown, j: number) => {
      const ops = isObject(rule) && Array.isArray(rule.operations) ? rule.operations : [];
      for (const op of ops)
        if (!OPERATIONS.includes(String(op)))
          causes.push(fieldError.notSupported(`${at}.rules[${j}].operations`, op, OPERATIONS));
    });
  });
  return causes;
}

/** One write, as admission sees it. */
export interface AdmissionAttributes {
  type: ResourceType;
  operation: 'CREATE' | 'UPDATE';
  subresource?: string;
  namespace?: string;
  name: string;
  object: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  userInfo: { username: string; groups: string[] };
}

/** Where services live: the local cluster runs everything on this machine, so every Service is loopback. */
const SERVICE_HOST = '127.0.0.1';

export class AdmissionDispatcher {
  constructor(private readonly store: ObjectStore) {}

  /** The webhooks that match a write; none for writes that never go to webhooks (the configurations themselves). */
  matching(
    a: Omit<AdmissionAttributes, 'object' | 'oldObject' | 'name' | 'dryRun' | 'userInfo'>,
    labels?: {
      object?: KubeObject;
      oldObject?: KubeObject;
    },
  ): Json[] {
    if (a.type.group === GROUP) return [];
    const found: Json[] = [];
    for (const stored of this.store.objects(validatingWebhookConfigurationType.storageKey)) {
      for (const hook of webhooksOf(parse(stored))) {
        if (!ruleMatches(hook, a)) continue;
        if (labels && !this.selectorsMatch(hook, a, labels)) continue;
        found.push(hook);
      }
    }
    return found;
  }

  /** Whether any configuration could send a write of this resource to a webhook: most writes need no more. */
  mayApply(type: ResourceType, subresource: string | undefined): boolean {
    return (
      this.matching({ type, operation: 'CREATE', subresource }).length > 0 ||
      this.matching({ type, operation: 'UPDATE', subresource }).length > 0
    );
  }

  /** Calls every matching webhook at once; resolves with their warnings, or throws the refusal. */
  async validate(a: AdmissionAttributes): Promise<string[]> {
    const hooks = this.matching(a, { object: a.object, oldObject: a.oldObject });
    const outcomes = await Promise.all(hooks.map((hook) => callWebhook(hook, a)));
    const warnings: string[] = [];
    for (const o of outcomes) warnings.push(...o.warnings);
    // The first refusal in configuration order, as the real server reports one.
    const refused = outcomes.find((o) => o.error);
    if (refused?.error) throw refused.error;
    return warnings;
  }

  private selectorsMatch(
    hook: Json,
    a: { type: ResourceType; namespace?: string },
    labels: { object?: KubeObject; oldObject?: KubeObject },
  ): boolean {
    const objectSelector = selectorOf(hook.objectSelector);
    const objectMatches = [labels.object, labels.oldObject].some(
      (o) => o !== undefined && matchesLabels(objectSelector, o.metadata?.labels),
    );
    if (!objectMatches) return false;
    if (!a.type.namespaced || a.namespace === undefined) return true;
    const namespaceSelector = selectorOf(hook.namespaceSelector);
    if (namespaceSelector.length === 0) return true;
    const ns = this.store.get('/namespaces', '', a.namespace);
    const nsLabels = ns ? parse(ns).metadata?.labels : undefined;
    return matchesLabels(namespaceSelector, nsLabels);
  }
}

function ruleMatches(
  hook: Json,
  a: { type: ResourceType; operation: string; subresource?: string; namespace?: string },
): boolean {
  const resource = a.subresource ? `${a.type.plural}/${a.subresource}` : a.type.plural;
  const rules = Array.isArray(hook.rules) ? (hook.rules as Json[]) : [];
  return rules.some((rule) => {
    const has = (field: string, value: string) => {
      const list = Array.isArray(rule[field]) ? (rule[field] as string[]) : [];
      return list.includes('*') || list.includes(value);
    };
    const resources = Array.isArray(rule.resources) ? (rule.resources as string[]) : [];
    const resourceMatches = resources.some((r) => {
      if (r === '*/*' || r === resource) return true;
      if (r === '*') return !a.subresource;
      const [main, sub] = r.split('/');
      return (
        sub !== undefined &&
        ((main === '*' && sub === a.subresource) ||
          (main === a.type.plural && sub === '*' && a.subresource !== undefined))
      );
    });
    const scope = String(rule.scope ?? '*');
    const scoped = scope === '*' || (scope === 'Namespaced') === a.type.namespaced;
    return (
      has('operations', a.operation) &&
      has('apiGroups', a.type.group) &&
      has('apiVersions', a.type.version) &&
      resourceMatches &&
      scoped
    );
  });
}

/** A metav1.LabelSelector (matchLabels, matchExpressions) as the requirements selectors.ts matches. */
function selectorOf(value: unknown): LabelSelector {
  if (!isObject(value)) return [];
  const out: LabelSelector = [];
  for (const [key, v] of Object.entries(isObject(value.matchLabels) ? value.matchLabels : {}))
    out.push({ key, op: 'in', values: [String(v)] });
  for (const e of Array.isArray(value.matchExpressions) ? (value.matchExpressions as Json[]) : []) {
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    if (e.operator === 'In') out.push({ key, op: 'in', values });
    else if (e.operator === 'NotIn') out.push({ key, op: 'notin', values });
    else if (e.operator === 'Exists') out.push({ key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') out.push({ key, op: '!exists' });
  }
  return out;
}

interface CallOutcome {
  warnings: string[];
  error?: ApiError;
}

async function callWebhook(hook: Json, a: AdmissionAttributes): Promise<CallOutcome> {
  const name = String(hook.name);
  const timeoutSeconds =
    typeof hook.timeoutSeconds === 'number' ? hook.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
  if (a.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun')
    return {
      warnings: [],
      error: new ApiError(400, 'BadRequest', `admission webhook "${name}" does not support dry run`),
    };
  const uid = randomUUID();
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: a.type.group, version: a.type.version, kind: a.type.kind },
      resource: { group: a.type.group, version: a.type.version, resource: a.type.plural },
      ...(a.subresource ? { subResource: a.subresource } : {}),
      requestKind: { group: a.type.group, version: a.type.version, kind: a.type.kind },
      requestResource: { group: a.type.group, version: a.type.version, resource: a.type.plural },
      name: a.name,
      ...(a.namespace !== undefined ? { namespace: a.namespace } : {}),
      operation: a.operation,
      userInfo: a.userInfo,
      object: { ...a.object, apiVersion: apiVersionOf(a.type.group, a.type.version) },
      oldObject: a.oldObject ?? null,
      dryRun: a.dryRun,
      options:
        a.operation === 'CREATE'
          ? { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' }
          : { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
  let answer: unknown;
  try {
    answer = await post(hook, JSON.stringify(review), timeoutSeconds);
  } catch (error) {
    return failed(hook, (error as Error).message);
  }
  const response = isObject(answer) && isObject(answer.response) ? answer.response : undefined;
  if (
    !isObject(answer) ||
    answer.apiVersion !== 'admission.k8s.io/v1' ||
    answer.kind !== 'AdmissionReview' ||
    !response
  )
    return failed(
      hook,
      'received invalid webhook response: expected an admission.k8s.io/v1 AdmissionReview with a response',
    );
  if (response.uid !== uid)
    return failed(
      hook,
      `received invalid webhook response: expected response.uid="${uid}", got "${String(response.uid)}"`,
    );
  const warnings = Array.isArray(response.warnings) ? response.warnings.map(String) : [];
  if (response.allowed === true) return { warnings };
  return { warnings, error: denied(name, isObject(response.status) ? response.status : undefined) };
}

/** The real server's ToStatusErr: the webhook's status, its message prefixed with who denied the request. */
export function denied(name: string, status: Json | undefined): ApiError {
  const deniedBy = `admission webhook "${name}" denied the request`;
  const code = typeof status?.code === 'number' && status.code >= 400 ? status.code : 400;
  const reason = typeof status?.reason === 'string' ? status.reason : '';
  const message =
    typeof status?.message === 'string' && status.message !== ''
      ? `${deniedBy}: ${status.message}`
      : reason !== ''
        ? `${deniedBy}: ${reason}`
        : `${deniedBy} without explanation`;
  const details = isObject(status?.details) ? (status.details as ApiError['details']) : undefined;
  return new ApiError(code, reason, message, details);
}

/** A webhook that could not be called: refused under failurePolicy Fail, passed over under Ignore. */
function failed(hook: Json, reason: string): CallOutcome {
  if (hook.failurePolicy === 'Ignore') return { warnings: [] };
  return { warnings: [], error: internalError(`failed calling webhook "${String(hook.name)}": ${reason}`) };
}

/** POSTs the review and parses the answer; rejects with Go's wording of what went wrong, as kubectl would show it. */
function post(hook: Json, body: string, timeoutSeconds: number): Promise<unknown> {
  const config = (hook.clientConfig ?? {}) as Json;
  let url: URL;
  let servername: string | undefined;
  if (typeof config.url === 'string') url = new URL(config.url);
  else {
    const service = config.service as Json;
    servername = `${String(service.name)}.${String(service.namespace)}.svc`;
    url = new URL(`https://${SERVICE_HOST}:${Number(service.port ?? 443)}${String(service.path ?? '')}`);
  }
  url.searchParams.set('timeout', `${timeoutSeconds}s`);
  const shown = servername
    ? `https://${servername}:${url.port || 443}${url.pathname}${url.search}`
    : url.href;
  const ca =
    typeof config.caBundle === 'string' && config.caBundle !== ''
      ? Buffer.from(config.caBundle, 'base64')
      : undefined;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`failed to call webhook: Post "${shown}": ${why}`));
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        ...(ca ? { ca } : {}),
        // The certificate must name the service (NAME.NAMESPACE.svc), as the real server requires.
        ...(servername ? { servername } : {}),
        timeout: timeoutSeconds * 1000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299)
            return reject(
              new Error(
                `failed to call webhook: the server responded with the status code ${res.statusCode} but did not return more information`,
              ),
            );
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error('received invalid webhook response: the body is not JSON'));
          }
        });
      },
    );
    const deadline = setTimeout(() => {
      req.destroy(new Error('context deadline exceeded'));
    }, timeoutSeconds * 1000);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (error: NodeJS.ErrnoException) => fail(goWording(error, url)));
    req.end(body);
  });
}

function goWording(error: NodeJS.ErrnoException, url: URL): string {
  const address = `${url.hostname}:${url.port || 443}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${url.hostname}`;
    default:
      return error.message;
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
