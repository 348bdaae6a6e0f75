// The audit record as Markdown: for a pull request comment, a wiki page or a reviewer's terminal. Every value
// from the cluster or the forge is escaped, so a title cannot break a table or smuggle in a link or HTML.
import type { AuditReport, PromotionRecord, UseCaseSection } from './report.js';
import {
  breakGlassText,
  emptyText,
  forgeText,
  headline,
  notFromForge,
  outcome,
  periodText,
  quietSurveillanceText,
  scopeText,
  triggerText,
  when,
} from './wording.js';

/** Markdown-inert text: one line, table pipes and the characters that start markup escaped. */
export function mdText(value: string | number | undefined): string {
  if (value === undefined || value === '') return '-';
  return String(value)
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]<>|#!~]/g, (c) => `\\${c}`);
}

const row = (cells: (string | number | undefined)[]) => `| ${cells.map(mdText).join(' | ')} |`;
const head = (cells: string[]) => [row(cells), `|${cells.map(() => '---').join('|')}|`];

function promotionMd(p: PromotionRecord): string[] {
  const out = [`### ${mdText(headline(p))}`, ''];
  const pr = p.pullRequest;
  out.push(
    ...head(['Record', 'Value']),
    row(['Promotion object', `${p.namespace}/${p.name}`]),
    row(['Outcome', outcome(p)]),
    row(['Started by', triggerText(p)]),
    row(['Opened', when(p.openedAt)]),
    row([
      'Pull request',
      pr
        ? `#${pr.number}${pr.title ? ` "${pr.title}"` : ''}${pr.repository ? ` in ${pr.repository}` : ''}`
        : undefined,
    ]),
    row(['Pull request link', pr?.url]),
    row(['Head commit', pr?.headSha]),
    row(['Evidence digest', p.evidenceDigest]),
    row(['Sign-off policy', p.policy.name]),
    row(['Policy revision in force', p.policy.revision]),
    row(['Roles signed', p.signoffSummary]),
    row(['Merged', p.mergedAt ? when(p.mergedAt) : undefined]),
    row(['Merged by', p.mergedBy ?? notFromForge(p)]),
    row(['Merge commit', pr?.mergeCommitSha ?? notFromForge(p)]),
    row(['Closed without merging', p.closedAt ? when(p.closedAt) : undefined]),
    '',
  );
  const bg = breakGlassText(p);
  if (bg) out.push(`**Break-glass.** ${mdText(bg)}`, '');

  out.push('**Approvers by role**', '');
  if (p.approvals.length === 0) out.push('No approval was recorded.', '');
  else {
    out.push(...head(['Role', 'Approver', 'Approved at', 'On commit', 'Review']));
    for (const a of p.approvals) out.push(row([a.role, a.login, when(a.at), a.commit, a.reviewId]));
    out.push('');
  }

  out.push('**Gates at decision time**', '');
  if (p.gates.length === 0) out.push('No gate results were recorded.', '');
  else {
    out.push(...head(['Gate', 'Result', 'Measured against required']));
    for (const g of p.gates) out.push(row([g.name, g.passed ? 'passed' : 'FAILED', g.message]));
    out.push('');
  }

  if (p.reviews.length > 0) {
    out.push('**Reviews at the forge**', '');
    out.push(...head(['Reviewer', 'Review', 'At', 'On commit', 'Counted for role']));
    for (const r of p.reviews)
      out.push(row([r.login, r.state, when(r.at), r.commit, r.countedFor ?? 'not counted']));
    out.push('');
  }
  if (p.findings.length > 0) {
    out.push('**For the auditor**', '');
    for (const f of p.findings) out.push(`- ${mdText(f)}`);
    out.push('');
  }
  return out;
}

function sectionMd(s: UseCaseSection, report: AuditReport): string[] {
  const out = [
    `## ${mdText(s.title ? `${s.title} (${s.namespace}/${s.name})` : `${s.namespace}/${s.name}`)}`,
    '',
  ];
  if (!s.declared)
    out.push('This use case is no longer declared in the cluster; its promotions remain on record.', '');
  out.push(
    ...head(['Use case', 'Value']),
    row(['Risk class', s.riskClass]),
    row(['Owner team', s.ownerTeam]),
    row(['Production version now', s.productionVersion]),
    row(['Sign-off policy', s.signoffPolicy]),
    row(['Surveillance policy', s.surveillancePolicy]),
    '',
  );
  if (s.promotions.length === 0) out.push('No promotion or rollback in this period.', '');
  for (const p of s.promotions) out.push(...promotionMd(p));
  out.push('### Surveillance breaches and actions taken', '');
  if (s.breaches.length === 0) out.push(mdText(quietSurveillanceText(s, report)), '');
  else {
    out.push(
      ...head([
        'When',
        'Policy',
        'Metric',
        'Tier reached',
        'Action taken',
        'Issue or pull request',
        'Cleared',
      ]),
    );
    for (const b of s.breaches)
      out.push(
        row([
          when(b.at),
          b.policy,
          b.metric,
          b.tier,
          b.action,
          b.reference,
          b.cleared ? when(b.cleared) : 'not yet',
        ]),
      );
    out.push('');
  }
  return out;
}

export function renderMarkdown(report: AuditReport): string {
  const out = [
    '# Change control audit record',
    '',
    `- **Scope:** ${mdText(scopeText(report))}`,
    `- **Period:** ${mdText(periodText(report))}`,
    `- **Generated:** ${mdText(when(report.generatedAt))}`,
    `- **Sources:** the Promotion, UseCase and SurveillancePolicy objects in the cluster${report.sources.cluster ? ` at ${mdText(report.sources.cluster)}` : ''}. ${mdText(forgeText(report))}`,
    '',
  ];
  if (report.empty) out.push(`**${mdText(emptyText(report))}**`, '');
  if (report.summary.length > 0) {
    out.push('## Summary', '');
    out.push(
      ...head([
        'Use case',
        'Promotions',
        'Rollbacks',
        'Merged',
        'Not merged',
        'In progress',
        'Break-glass',
        'Surveillance actions',
        'Findings',
      ]),
    );
    for (const r of report.summary) {
      out.push(
        row([
          `${r.namespace}/${r.useCase}`,
          r.promotions,
          r.rollbacks,
          r.merged,
          r.notMerged,
          r.inProgress,
          r.breakGlass,
          r.breaches,
          r.findings,
        ]),
      );
    }
    out.push('');
  }
  for (const s of report.useCases) out.push(...sectionMd(s, report));
  if (report.sources.forgeProblems.length > 0) {
    out.push('## Forge problems', '');
    for (const p of report.sources.forgeProblems) out.push(`- ${mdText(p)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
