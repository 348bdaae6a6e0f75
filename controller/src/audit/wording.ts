// The plain-language phrases the Markdown and HTML renderings share, so both say the same thing the same way.
import type { AuditReport, PromotionRecord, UseCaseSection } from './report.js';

/** "1 March 2026 to 31 March 2026", or an open end said as such. */
export function periodText(report: AuditReport): string {
  const day = (at: string) => at.slice(0, 10);
  const { from, to } = report.period;
  if (from && to) return `${day(from)} to ${day(to)} (UTC, both days included)`;
  if (from) return `from ${day(from)} (UTC) to when this report was made`;
  if (to) return `everything recorded up to ${day(to)} (UTC)`;
  return 'everything recorded';
}

export function scopeText(report: AuditReport): string {
  const ns = report.scope.namespace ? `namespace ${report.scope.namespace}` : 'all namespaces';
  return report.scope.useCase ? `use case ${report.scope.useCase} in ${ns}` : ns;
}

/** "2026-03-04 14:05 UTC": minutes are what a sign-off record is read to. */
export function when(at: string | undefined): string {
  if (!at) return '-';
  const t = Date.parse(at);
  if (Number.isNaN(t)) return at;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function headline(p: PromotionRecord): string {
  const verb = p.type === 'rollback' ? 'Rollback' : 'Promotion';
  const from = p.previousVersion ? ` (from ${p.previousVersion})` : '';
  return `${verb} to ${p.to}: version ${p.version}${from}`;
}

const PHASE_TEXT: Record<string, string> = {
  Pending: 'requested; no pull request yet',
  Open: 'pull request open, awaiting sign-off',
  SignedOff: 'signed off, not yet merged',
  Merged: 'merged',
  Rejected: 'closed without merging',
  Superseded: 'superseded by a newer candidate',
  RolledBack: 'merged, later rolled back',
};

export function outcome(p: PromotionRecord): string {
  return `${p.phase} (${PHASE_TEXT[p.phase] ?? 'unknown phase'})`;
}

export function triggerText(p: PromotionRecord): string {
  switch (p.trigger) {
    case 'train':
      return p.releaseTrain ? `departure of release train ${p.releaseTrain}` : 'a release train departure';
    case 'expansion':
      return 'expansion criteria met';
    case 'manual':
      return 'requested by a person (vigil promote)';
    case 'surveillance':
      return 'a surveillance tier';
    default:
      return '-';
  }
}

export function breakGlassText(p: PromotionRecord): string | undefined {
  const bg = p.breakGlass;
  if (!bg) return undefined;
  const retro =
    bg.retrospective === 'done'
      ? `retrospective sign-off completed ${when(bg.retrospectiveDoneAt)}`
      : bg.retrospective === 'overdue'
        ? `retrospective sign-off OVERDUE (was due ${when(bg.retrospectiveDue)})`
        : `retrospective sign-off due by ${when(bg.retrospectiveDue)}`;
  return `Break-glass approval by ${bg.by} at ${when(bg.at)}; ${retro}.`;
}

export function emptyText(report: AuditReport): string {
  return `No promotions, rollbacks or surveillance actions were found for ${scopeText(report)}, ${periodText(report)}.`;
}

export function forgeText(report: AuditReport): string {
  if (!report.sources.forge) {
    return 'The forge was not consulted: pull request titles, reviews and merge details come from the cluster only.';
  }
  const problems = report.sources.forgeProblems.length;
  return problems === 0
    ? `Pull request history read from the forge at ${report.sources.forge}.`
    : `Pull request history read from the forge at ${report.sources.forge}, with ${problems} problem(s) listed at the end.`;
}

/** Why a merge detail only the forge knows is missing: the forge was not read, or its adapter does not report it. */
export function notFromForge(p: PromotionRecord): string | undefined {
  if (!p.mergedAt) return undefined;
  return p.pullRequest?.state ? 'not reported by the forge' : 'not known: the forge was not read';
}

/**
 * What to say of surveillance when no action was taken: "no action" only when the metrics were evaluated, since
 * an auditor reads it as "evaluated and healthy". The cluster keeps the last evaluation only.
 */
export function quietSurveillanceText(s: UseCaseSection, report: AuditReport): string {
  const policy = s.surveillancePolicy;
  if (!policy) return 'No surveillance policy is declared for this use case.';
  const notEvaluated = 'Surveillance not evaluated in this period';
  if (!s.surveillance?.found) return `${notEvaluated}: SurveillancePolicy ${policy} is not in the cluster.`;
  const last = s.surveillance.lastEvaluated;
  if (!last) return `${notEvaluated}: SurveillancePolicy ${policy} has never been evaluated.`;
  const t = Date.parse(last);
  const { from, to } = report.period;
  if (from && t < Date.parse(from)) {
    return `${notEvaluated}: SurveillancePolicy ${policy} was last evaluated ${when(last)}, before it.`;
  }
  if (to && t > Date.parse(to)) {
    return `No surveillance action recorded in this period; SurveillancePolicy ${policy} was last evaluated ${when(last)}, after it.`;
  }
  return `No surveillance action in this period; SurveillancePolicy ${policy} was last evaluated ${when(last)}.`;
}
