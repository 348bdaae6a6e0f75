// The audit record as one printable HTML page for a compliance officer: a title, the period and scope, a summary
// table, one section per use case, in plain language. Self-contained on purpose (no script, no external asset,
// no link that loads anything), so it can be archived, mailed and printed as it is. Every value is escaped.
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

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string | number | undefined): string {
  if (value === undefined || value === '') return '&ndash;';
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const cells = (tag: 'td' | 'th', values: (string | number | undefined)[]) =>
  values.map((v) => `<${tag}>${escapeHtml(v)}</${tag}>`).join('');
const table = (headers: string[], rows: (string | number | undefined)[][], caption?: string) =>
  [
    '<table>',
    caption ? `<caption>${escapeHtml(caption)}</caption>` : '',
    `<thead><tr>${cells('th', headers)}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${cells('td', r)}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
const facts = (pairs: [string, string | number | undefined][]) =>
  `<dl>${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;

// Print first: A4/Letter margins, tables that do not split a row, each use case on a new page.
const STYLE = `
body{font:11pt/1.45 Georgia,"Times New Roman",serif;color:#111;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:20pt;margin:0 0 .3rem}h2{font-size:15pt;border-bottom:2px solid #333;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:12.5pt;margin:1.4rem 0 .4rem}h4{font-size:11pt;margin:.8rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem;font-size:9.5pt}
th,td{border:1px solid #888;padding:.2rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eee}caption{text-align:left;font-weight:bold;padding:.2rem 0}
dl{display:grid;grid-template-columns:13rem 1fr;gap:.1rem .8rem;margin:.3rem 0 .8rem;font-size:10pt}
dt{font-weight:bold}dd{margin:0;overflow-wrap:anywhere}
.meta{color:#333}.empty{border:2px solid #333;padding:.6rem;font-weight:bold}
.finding{border-left:4px solid #b00;padding:.2rem .6rem;margin:.4rem 0}.failed{color:#b00;font-weight:bold}
.promotion{border-top:1px solid #bbb;padding-top:.3rem}
@page{margin:18mm 15mm}
@media print{body{margin:0;max-width:none;font-size:10pt}section.usecase{break-before:page}
tr,dl,.finding{break-inside:avoid}h2,h3,h4{break-after:avoid}}
`;

function promotionHtml(p: PromotionRecord): string {
  const pr = p.pullRequest;
  const out = [`<div class="promotion"><h3>${escapeHtml(headline(p))}</h3>`];
  out.push(
    facts([
      ['Outcome', outcome(p)],
      ['Started by', triggerText(p)],
      ['Opened', when(p.openedAt)],
      [
        'Pull request',
        pr
          ? `#${pr.number}${pr.title ? ` "${pr.title}"` : ''}${pr.repository ? ` in ${pr.repository}` : ''}`
          : undefined,
      ],
      // The address is printed as text, not a link: the page must load and open nothing by itself.
      ['Pull request address', pr?.url],
      ['Head commit', pr?.headSha],
      ['Evidence digest', p.evidenceDigest],
      ['Sign-off policy', p.policy.name],
      ['Policy revision in force', p.policy.revision],
      ['Roles signed', p.signoffSummary],
      ['Merged', p.mergedAt ? when(p.mergedAt) : undefined],
      ['Merged by', p.mergedBy ?? notFromForge(p)],
      ['Merge commit', pr?.mergeCommitSha ?? notFromForge(p)],
      ['Closed without merging', p.closedAt ? when(p.closedAt) : undefined],
      ['Promotion object', `${p.namespace}/${p.name}`],
    ]),
  );
  const bg = breakGlassText(p);
  if (bg) out.push(`<p class="finding"><strong>Break-glass.</strong> ${escapeHtml(bg)}</p>`);
  out.push('<h4>Approvers by role</h4>');
  out.push(
    p.approvals.length === 0
      ? '<p>No approval was recorded.</p>'
      : table(
          ['Role', 'Approver', 'Approved at', 'On commit', 'Review'],
          p.approvals.map((a) => [a.role, a.login, when(a.at), a.commit, a.reviewId]),
        ),
  );
  out.push('<h4>Gates at decision time</h4>');
  out.push(
    p.gates.length === 0
      ? '<p>No gate results were recorded.</p>'
      : [
          '<table><thead><tr><th>Gate</th><th>Result</th><th>Measured against required</th></tr></thead><tbody>',
          ...p.gates.map(
            (g) =>
              `<tr><td>${escapeHtml(g.name)}</td><td${g.passed ? '' : ' class="failed"'}>${g.passed ? 'passed' : 'FAILED'}</td><td>${escapeHtml(g.message)}</td></tr>`,
          ),
          '</tbody></table>',
        ].join(''),
  );
  if (p.reviews.length > 0) {
    out.push('<h4>Reviews at the forge</h4>');
    out.push(
      table(
        ['Reviewer', 'Review', 'At', 'On commit', 'Counted for role'],
        p.reviews.map((r) => [r.login, r.state, when(r.at), r.commit, r.countedFor ?? 'not counted']),
      ),
    );
  }
  for (const f of p.findings)
    out.push(`<p class="finding"><strong>For the auditor:</strong> ${escapeHtml(f)}</p>`);
  out.push('</div>');
  return out.join('\n');
}

function sectionHtml(s: UseCaseSection, report: AuditReport): string {
  const title = s.title ? `${s.title} (${s.namespace}/${s.name})` : `${s.namespace}/${s.name}`;
  const out = [`<section class="usecase"><h2>${escapeHtml(title)}</h2>`];
  if (!s.declared) {
    out.push('<p>This use case is no longer declared in the cluster; its promotions remain on record.</p>');
  }
  out.push(
    facts([
      ['Risk class', s.riskClass],
      ['Owner team', s.ownerTeam],
      ['Production version now', s.productionVersion],
      ['Sign-off policy', s.signoffPolicy],
      ['Surveillance policy', s.surveillancePolicy],
    ]),
  );
  if (s.promotions.length === 0) out.push('<p>No promotion or rollback in this period.</p>');
  for (const p of s.promotions) out.push(promotionHtml(p));
  out.push('<h3>Surveillance breaches and actions taken</h3>');
  out.push(
    s.breaches.length === 0
      ? `<p>${escapeHtml(quietSurveillanceText(s, report))}</p>`
      : table(
          ['When', 'Policy', 'Metric', 'Tier reached', 'Action taken', 'Issue or pull request', 'Cleared'],
          s.breaches.map((b) => [
            when(b.at),
            b.policy,
            b.metric,
            b.tier,
            b.action,
            b.reference,
            b.cleared ? when(b.cleared) : 'not yet',
          ]),
        ),
  );
  out.push('</section>');
  return out.join('\n');
}

export function renderHtml(report: AuditReport): string {
  const body: string[] = [
    '<header>',
    '<h1>Change control audit record</h1>',
    facts([
      ['Scope', scopeText(report)],
      ['Period', periodText(report)],
      ['Generated', when(report.generatedAt)],
      ['Cluster', report.sources.cluster],
      ['Pull request history', forgeText(report)],
    ]),
    '<p class="meta">Each promotion or rollback below is one pull request in the deployment repository. Its approvals are the ' +
      'sign-off: who approved, in which role, when, on which commit, under which revision of the sign-off policy, and ' +
      'the digest of the evidence the reviewers saw. Surveillance actions are what the controller did when a ' +
      'monitored metric degraded.</p>',
    '</header>',
  ];
  if (report.empty) body.push(`<p class="empty">${escapeHtml(emptyText(report))}</p>`);
  if (report.summary.length > 0) {
    body.push('<h2>Summary</h2>');
    body.push(
      table(
        [
          'Use case',
          'Promotions',
          'Rollbacks',
          'Merged',
          'Not merged',
          'In progress',
          'Break-glass',
          'Surveillance actions',
          'Findings',
        ],
        report.summary.map((r) => [
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
      ),
    );
  }
  for (const s of report.useCases) body.push(sectionHtml(s, report));
  if (report.sources.forgeProblems.length > 0) {
    body.push('<h2>Forge problems</h2><ul>');
    for (const p of report.sources.forgeProblems) body.push(`<li>${escapeHtml(p)}</li>`);
    body.push('</ul>');
  }
  const title = `Change control audit record: ${scopeText(report)}, ${periodText(report)}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may load or run, even if a value slipped past escaping.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
