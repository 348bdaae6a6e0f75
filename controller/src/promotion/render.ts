// The pull request a promotion opens: its title, and its body rendered from a Handlebars template (the default
// in templates/promotion.hbs, or a train's own from a ConfigMap). The body carries the evidence bundle and its
// digest. Nothing shaped like PHI leaves: the rendered text is screened before it is sent.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { DEFAULT_MRN_PATTERNS, findMrns, findSsns, looksLikeDobWithName } from '../phi/patterns.js';
import { canonicalJson, type EvidenceBundle, evidenceDigest } from './evidence.js';

/** The template cannot be used: a person must fix it. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** The rendered pull request holds text shaped like PHI: refused before anything is sent. */
export class PhiInPullRequestError extends Error {
  override readonly name = 'PhiInPullRequestError';
}

/** GitHub refuses a pull request body over 65,536 characters. */
export const MAX_BODY = 65_536;

// Beside the source, and beside the compiled code (npm run build copies templates/ into dist/).
const TEMPLATE = new URL('../templates/promotion.hbs', import.meta.url);

let defaultTemplate: string | undefined;

export function defaultPromotionTemplate(): string {
  if (defaultTemplate !== undefined) return defaultTemplate;
  if (!existsSync(fileURLToPath(TEMPLATE))) {
    throw new TemplateError('the default promotion template (templates/promotion.hbs) is missing');
  }
  defaultTemplate = readFileSync(TEMPLATE, 'utf8');
  return defaultTemplate;
}

/** A table cell: no line breaks, and a pipe does not end the cell. */
const cell = (v: unknown): unknown =>
  typeof v === 'string' ? v.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|') : v;

function cells<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cell(v)])) as T;
}

/** What a template sees: the bundle, plus counts and the digest worked out once. */
export function templateView(bundle: EvidenceBundle) {
  const digest = evidenceDigest(bundle);
  return {
    ...bundle,
    rollback: bundle.promotion.type === 'rollback',
    gates: bundle.gates.map(cells),
    gatesPassed: bundle.gates.filter((g) => g.passed).length,
    gatesTotal: bundle.gates.length,
    evaluation: bundle.evaluation
      ? { ...bundle.evaluation, results: bundle.evaluation.results.map(cells) }
      : undefined,
    contracts: bundle.contracts.map(cells),
    readiness: bundle.readiness.map(cells),
    readinessDone: bundle.readiness.filter((r) => r.status === 'done' || r.status === 'not-applicable')
      .length,
    readinessTotal: bundle.readiness.length,
    digest,
    // Pretty but stable (keys sorted), so a reader can recompute the digest from canonicalJson(parse(this)).
    evidenceJson: JSON.stringify(JSON.parse(canonicalJson(bundle)), null, 2),
  };
}

export function pullRequestTitle(bundle: EvidenceBundle): string {
  const p = bundle.promotion;
  return p.type === 'rollback'
    ? `Roll back ${bundle.useCase.name} to ${p.version} in ${p.to}`
    : `Promote ${bundle.useCase.name} ${p.version} to ${p.to}`;
}

export interface RenderedPullRequest {
  title: string;
  body: string;
  digest: string;
}

/** Render the pull request; `source` names where the template came from, for error messages. */
export function renderPullRequest(
  bundle: EvidenceBundle,
  template: string = defaultPromotionTemplate(),
  source = 'templates/promotion.hbs',
): RenderedPullRequest {
  const view = templateView(bundle);
  let body: string;
  try {
    // Markdown, not HTML: escaping would turn "payer_type=medicaid" into entities in the raw text reviewers read.
    const render = Handlebars.create().compile(template, { noEscape: true, strict: false });
    body = render(view);
  } catch (error) {
    throw new TemplateError(`pull request template ${source} does not render: ${(error as Error).message}`);
  }
  body = `${body.replace(/\n{3,}/g, '\n\n').trim()}\n`;
  if (body.length > MAX_BODY) {
    throw new TemplateError(
      `pull request body from ${source} is ${body.length} characters; GitHub accepts at most ${MAX_BODY}`,
    );
  }
  const title = pullRequestTitle(bundle);
  refusePhi(`${title}\n${body}`, source);
  return { title, body, digest: view.digest };
}

/** Throws when `text` holds something shaped like an SSN, an MRN, or a date of birth beside a name. */
export function refusePhi(text: string, source: string): void {
  const mrns = DEFAULT_MRN_PATTERNS.map((p) => new RegExp(p.source, 'gi'));
  const found = [
    ...findSsns(text).map((m) => `a US Social Security number (${m})`),
    ...findMrns(text, mrns).map((m) => `a medical record number (${m})`),
    ...text
      .split('\n')
      .filter((line) => looksLikeDobWithName(line))
      .map(() => "a date of birth next to a person's name"),
  ];
  if (found.length > 0) {
    throw new PhiInPullRequestError(
      `the pull request rendered from ${source} holds text that looks like PHI: ${[...new Set(found)].join(', ')}; nothing was sent`,
    );
  }
}
