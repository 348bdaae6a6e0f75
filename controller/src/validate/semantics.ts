// Checks of one object that its schema passes but that cannot work (an error) or are probably not what was meant
// (a warning): a schedule that never fires, a zero where a length must be positive, a list with a value twice,
// deny windows that clash, waves that narrow, a rate written as a percentage.
import { parseDuration } from '../../../specs/common.js';
import type { DataContractSpec } from '../../../specs/datacontract.js';
import type { ReleaseTrainSpec } from '../../../specs/releasetrain.js';
import type { SignoffPolicySpec } from '../../../specs/signoffpolicy.js';
import type { SurveillancePolicySpec } from '../../../specs/surveillancepolicy.js';
import type { UseCaseSpec } from '../../../specs/usecase.js';
import { type Diagnostic, formatPath, type PathSegment, type Severity } from '../diagnostics.js';
import { describeFound, type SourceDocument } from '../yaml/index.js';
import { coversEveryDeparture, neverFiresReason } from './schedules.js';
import { suggestTimeZone, timeZoneConcern } from './time-zones.js';

type Report = (path: PathSegment[], code: string, message: string, severity: Severity, hint?: string) => void;

/** The problems of one object that passed its kind's schema; `spec` is the parsed spec, defaults applied. */
export function checkSemantics(
  kind: string,
  spec: Record<string, unknown>,
  doc: SourceDocument,
  now: Date = new Date(),
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (path, code, message, severity, hint) => {
    const full = ['spec', ...path];
    out.push({
      file: doc.file,
      ...doc.locateValue(full),
      path: formatPath(full),
      code,
      message,
      severity,
      ...(hint ? { hint } : {}),
    });
  };
  const found = (path: PathSegment[]) => describeFound(doc, ['spec', ...path]);
  switch (kind) {
    case 'ReleaseTrain':
      releaseTrain(spec as unknown as ReleaseTrainSpec, report, found, now);
      break;
    case 'SurveillancePolicy':
      surveillancePolicy(spec as unknown as SurveillancePolicySpec, report, found);
      break;
    case 'SignoffPolicy':
      signoffPolicy(spec as unknown as SignoffPolicySpec, report, found);
      break;
    case 'DataContract':
      dataContract(spec as unknown as DataContractSpec, report);
      break;
    case 'UseCase':
      useCase(spec as unknown as UseCaseSpec, report);
      break;
  }
  return out;
}

type Found = (path: PathSegment[]) => string;

/** A duration of zero where only a positive one can work: an error saying what zero would do. */
function positive(
  value: string | undefined,
  path: PathSegment[],
  consequence: string,
  report: Report,
  found: Found,
) {
  if (value !== undefined && parseDuration(value) === 0)
    report(path, 'rule.zero', `must be longer than zero (${consequence}); found ${found(path)}`, 'error');
}

/** Each value listed a second time: a warning at the repeat, naming the first. */
function listedTwice(values: readonly unknown[], path: PathSegment[], what: string, report: Report) {
  const first = new Map<string, number>();
  values.forEach((v, i) => {
    const key = JSON.stringify(v);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, i);
    else
      report(
        [...path, i],
        'rule.listed-twice',
        `${what} ${key} is listed twice; first at ${formatPath(['spec', ...path, earlier])}`,
        'warning',
      );
  });
}

// --- rates -----------------------------------------------------------------------------------------------------

/** A metric whose name says it is a rate ("hallucination-rate", "readmission-rate-30d"): a fraction from 0 to 1. */
export function isRateMetric(name: string): boolean {
  return /(?:^|[-_])rate(?:$|[-_])/i.test(name);
}

/** A rate written as a percentage (12 where 0.12 is meant): a warning with the fraction to write instead. */
function rateAsPercent(metric: string, value: number | undefined, path: PathSegment[], report: Report) {
  if (value === undefined || value <= 1 || value > 100) return;
  const fraction = Number((value / 100).toPrecision(12));
  const percent = Number((value * 100).toPrecision(12));
  report(
    path,
    'rule.rate-as-percent',
    `"${metric}" is a rate, a fraction from 0 to 1; found ${value}, which reads as ${percent}%`,
    'warning',
    `for ${value}%, write ${fraction}`,
  );
}

// --- kinds -----------------------------------------------------------------------------------------------------

function releaseTrain(spec: ReleaseTrainSpec, report: Report, found: Found, now: Date) {
  const { cron, timeZone } = spec.schedule;
  const never = neverFiresReason(cron, timeZone, now);
  if (never)
    report(
      ['schedule', 'cron'],
      'rule.never-fires',
      `cron "${cron}" never fires: ${never}; the train would never depart`,
      'error',
    );
  const concern = timeZoneConcern(timeZone);
  if (concern) {
    const meant = suggestTimeZone(timeZone);
    report(
      ['schedule', 'timeZone'],
      'rule.time-zone',
      `expected the IANA time zone of a region, such as "America/Chicago"; found ${concern}`,
      'warning',
      meant ? `did you mean "${meant}"?` : undefined,
    );
  }

  const names = new Map<string, number>();
  let coveredAlone = false;
  spec.denyWindows.forEach((w, i) => {
    const path = ['denyWindows', i];
    const earlier = names.get(w.name);
    if (earlier === undefined) names.set(w.name, i);
    else
      report(
        [...path, 'name'],
        'rule.deny-window-name',
        `deny window "${w.name}" is defined twice; first at spec.denyWindows[${earlier}]; each window needs its own name`,
        'error',
      );
    if (w.cron === undefined) return;
    positive(w.duration, [...path, 'duration'], 'a deny window of no length covers nothing', report, found);
    const windowNever = neverFiresReason(w.cron, timeZone, now);
    if (windowNever) {
      report(
        [...path, 'cron'],
        'rule.never-fires',
        `cron "${w.cron}" never fires: ${windowNever}; the deny window would never open`,
        'error',
      );
    } else if (!never && !spec.suspend && coversEveryDeparture(spec, [i], now)) {
      coveredAlone = true;
      report(
        [...path, 'cron'],
        'rule.deny-window-covers-all',
        `deny window "${w.name}" (cron "${w.cron}", ${w.duration}) covers every departure of schedule "${cron}" in ${timeZone}; the train would never depart`,
        'error',
      );
    }
  });
  const recurring = spec.denyWindows.flatMap((w, i) =>
    w.cron !== undefined && !neverFiresReason(w.cron, timeZone, now) ? [i] : [],
  );
  if (
    !never &&
    !spec.suspend &&
    !coveredAlone &&
    recurring.length > 1 &&
    coversEveryDeparture(spec, recurring, now)
  )
    report(
      ['denyWindows'],
      'rule.deny-window-covers-all',
      `deny windows ${recurring.map((i) => `"${spec.denyWindows[i]!.name}"`).join(', ')} between them cover every departure of schedule "${cron}" in ${timeZone}; the train would never depart`,
      'error',
    );
  const oneOff = spec.denyWindows
    .map((w, i) => ({ w, i, from: Date.parse(w.from ?? ''), to: Date.parse(w.to ?? '') }))
    .filter((x) => !Number.isNaN(x.from) && !Number.isNaN(x.to));
  for (const b of oneOff) {
    const a = oneOff.find((x) => x.i < b.i && x.from < b.to && b.from < x.to);
    if (a)
      report(
        ['denyWindows', b.i, 'from'],
        'rule.deny-window-overlap',
        `deny window "${b.w.name}" (${b.w.from} to ${b.w.to}) overlaps deny window "${a.w.name}" (${a.w.from} to ${a.w.to}); make them one window, or let one end where the other starts`,
        'warning',
      );
  }

  let widest: { sites: number; name: string } | undefined;
  spec.stages.forEach((stage, i) => {
    positive(
      stage.within,
      ['stages', i, 'within'],
      'no wave can open no time after the one before it',
      report,
      found,
    );
    if (stage.sites !== undefined) {
      if (widest && stage.sites < widest.sites)
        report(
          ['stages', i, 'sites'],
          'rule.reach-shrinks',
          `wave "${stage.name}" reaches ${stage.sites} site${stage.sites === 1 ? '' : 's'}, fewer than the ${widest.sites} of "${widest.name}" before it; each wave's sites count every site it reaches, earlier waves' included, so they must not shrink`,
          'warning',
        );
      if (!widest || stage.sites > widest.sites) widest = { sites: stage.sites, name: stage.name };
    }
    stage.gates.evaluation.forEach((t, j) => {
      const path = ['stages', i, 'gates', 'evaluation', j];
      if (!isRateMetric(t.metric)) return;
      rateAsPercent(t.metric, t.min, [...path, 'min'], report);
      rateAsPercent(t.metric, t.max, [...path, 'max'], report);
    });
    stage.gates.expansion.forEach((c, j) => {
      const path = ['stages', i, 'gates', 'expansion', j];
      if (!isRateMetric(c.metric)) return;
      rateAsPercent(c.metric, c.min, [...path, 'min'], report);
      rateAsPercent(c.metric, c.max, [...path, 'max'], report);
    });
  });
}

function surveillancePolicy(spec: SurveillancePolicySpec, report: Report, found: Found) {
  positive(spec.interval, ['interval'], 'the metrics would be evaluated without pause', report, found);
  spec.metrics.forEach((m, i) => {
    const path = ['metrics', i];
    const drift = m.source.drift;
    if (drift) {
      positive(
        drift.baselineWindow,
        [...path, 'source', 'drift', 'baselineWindow'],
        'an empty window holds no data to compare',
        report,
        found,
      );
      positive(
        drift.currentWindow,
        [...path, 'source', 'drift', 'currentWindow'],
        'an empty window holds no data to compare',
        report,
        found,
      );
    }
    listedTwice(m.segments, [...path, 'segments'], 'segment', report);
    m.tiers.forEach((t, j) => {
      if (t.at === 0)
        report(
          [...path, 'tiers', j, 'at'],
          'rule.zero',
          `must be more than zero (a tier at 0 is reached by every evaluation, with no degradation at all); found ${found([...path, 'tiers', j, 'at'])}`,
          'error',
        );
    });
    if (m.kind !== 'override-rate' && !isRateMetric(m.name)) return;
    rateAsPercent(m.name, m.baseline, [...path, 'baseline'], report);
    // Relative tiers are percentages by definition; absolute ones are values of the rate itself.
    if (m.degradation === 'absolute')
      m.tiers.forEach((t, j) => {
        rateAsPercent(m.name, t.at, [...path, 'tiers', j, 'at'], report);
      });
  });
}

function signoffPolicy(spec: SignoffPolicySpec, report: Report, found: Found) {
  positive(
    spec.rules.approvalExpiry,
    ['rules', 'approvalExpiry'],
    'every approval would expire as it is given, so no change could be signed off',
    report,
    found,
  );
  positive(
    spec.breakGlass?.retrospectiveWithin,
    ['breakGlass', 'retrospectiveWithin'],
    'every break-glass rollback would be overdue for its retrospective sign-off at once',
    report,
    found,
  );
  spec.requirements.forEach((r, i) => {
    listedTwice(r.roles, ['requirements', i, 'roles'], 'role', report);
  });
  listedTwice(spec.rules.objectionsDismissibleBy, ['rules', 'objectionsDismissibleBy'], 'role', report);
  if (spec.breakGlass) listedTwice(spec.breakGlass.roles, ['breakGlass', 'roles'], 'role', report);
  if (spec.governance?.roles) listedTwice(spec.governance.roles, ['governance', 'roles'], 'role', report);
}

/** Rates in the evidence and the baselines: a baseline whose unit says "percent" is one, and is left alone. */
function useCase(spec: UseCaseSpec, report: Report) {
  spec.candidate?.evaluation.results.forEach((r, i) => {
    if (isRateMetric(r.metric))
      rateAsPercent(r.metric, r.value, ['candidate', 'evaluation', 'results', i, 'value'], report);
  });
  spec.baselineMetrics.forEach((b, i) => {
    if (isRateMetric(b.name) && !/^(?:percent|%|pct)$/i.test(b.unit.trim()))
      rateAsPercent(b.name, b.value, ['baselineMetrics', i, 'value'], report);
  });
}

/** Lists of values a quality rule accepts or treats as missing, and a feed's null markers, wherever they sit. */
function dataContract(spec: DataContractSpec, report: Report) {
  const visit = (node: unknown, path: PathSegment[]) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        visit(item, [...path, i]);
      });
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      const list = key === 'nullMarkers' || (path.at(-1) === 'arguments' && VALUE_LISTS.has(key));
      if (list && Array.isArray(value)) listedTwice(value, [...path, key], 'value', report);
      else visit(value, [...path, key]);
    }
  };
  visit(spec, []);
}

const VALUE_LISTS = new Set(['validValues', 'missingValues']);
