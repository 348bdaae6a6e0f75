// The entry gates of a stage, held against the candidate's evidence and what the previous stage observed. Each
// gate says what was measured against what was required, and by how much it falls short: this is what
// PromotionReady shows and what a Promotion records in status.gates.
import type { Threshold } from '../../../../specs/common.js';
import { parseDuration } from '../../../../specs/common.js';
import type { ReleaseTrainSpec } from '../../../../specs/releasetrain.js';
import type { UseCaseSpec } from '../../../../specs/usecase.js';

export type HumanOversight = UseCaseSpec['humanOversight'];
export type Candidate = NonNullable<UseCaseSpec['candidate']>;
export type BaselineMetric = UseCaseSpec['baselineMetrics'][number];
type ExpansionCriterion = ReleaseTrainSpec['stages'][number]['gates']['expansion'][number];

/** What was observed in the stage the candidate leaves (the previous stage or wave). */
export interface StageObservations {
  /** The version these observations are about; taken to be the candidate's when omitted. */
  version?: string;
  /** When that version entered the stage. */
  since?: Date | string;
  encounters?: number;
  labelledOutcomes?: number;
  /** Drafts a person reviewed, of `reviewedOf` (those whose review was due), for the oversight declared. */
  reviewed?: number;
  reviewedOf?: number;
  /** Operational metrics measured in the stage, for expansion criteria. */
  metrics?: readonly { metric: string; value: number }[];
  /**
   * Metrics (or the count "labelledOutcomes") that could not be measured, and why: a column the log lacks, no
   * outcome yet.
   */
  unmeasured?: readonly { metric: string; reason: string }[];
  /** Why nothing could be measured in the stage (the log unreadable); counts and metrics are absent then. */
  problem?: string;
}

export interface GateResult {
  /** e.g. "evaluation: auroc (race=AfricanAmerican)", "minSoak", "expansion: rework-rate". */
  name: string;
  passed: boolean;
  /** Measured against required; for a failure, by how much, or which evidence is missing. */
  message: string;
}

export interface GateEvaluation {
  passed: boolean;
  to: string;
  gates: GateResult[];
  failed: GateResult[];
  /** One line: every gate passes, or how many fail and why. */
  summary: string;
  /** Each failing gate in a few words, with what was measured against what is required ("encounters 212 of 400"). */
  shortfalls: string[];
  /** When a gate that fails only for want of time (the soak) will pass; the verdict should be taken again then. */
  wakeAt?: Date;
}

export interface GateInput {
  candidate: Candidate | undefined;
  train: ReleaseTrainSpec;
  /** Stage the candidate leaves; undefined when it enters the first stage. */
  from: string | undefined;
  to: string;
  /** Observed in `from`. */
  observed?: StageObservations;
  /** The use case's outcome baselines, for maxRegressionPercent. */
  baselines?: readonly BaselineMetric[];
  /**
   * The oversight the use case declares: a stage with expansion criteria must also show that people reviewed the
   * share of drafts it promises (every draft for review-all, samplePercent for sample).
   */
  oversight?: HumanOversight;
  now: Date;
}

/** A gate's verdict and, when it fails, the shortfall in a few words. */
type Judged = GateResult & { short?: string };

/** The candidate's evidence against the entry gates of `to`, plus the train's boarding rules. */
export function evaluateGates(input: GateInput): GateEvaluation {
  const { candidate, train, to } = input;
  const stage = train.stages.find((s) => s.name === to);
  if (!stage) {
    const gate = {
      name: 'stage',
      passed: false,
      message: `stage "${to}" is not on the release train (its stages: ${train.stages.map((s) => s.name).join(', ')})`,
      short: `no stage ${to}`,
    };
    return verdict(to, [gate]);
  }
  const gates: Judged[] = [];
  for (const t of stage.gates.evaluation) gates.push(evaluationGate(t, candidate));

  const { minSoak, minEncounters, minLabelledOutcomes, expansion } = stage.gates;
  const measuredIn = previousStage(input);
  let wakeAt: Date | undefined;
  if (minSoak !== undefined) {
    const soak = soakGate(minSoak, measuredIn, input);
    gates.push(soak.gate);
    wakeAt = soak.endsAt;
  }
  if (minEncounters !== undefined)
    gates.push(
      countGate(
        'minEncounters',
        'encounters',
        minEncounters,
        measuredIn,
        input.observed?.encounters,
        input.observed?.problem,
      ),
    );
  if (minLabelledOutcomes !== undefined) {
    gates.push(
      countGate(
        'minLabelledOutcomes',
        'labelled outcomes',
        minLabelledOutcomes,
        measuredIn,
        input.observed?.labelledOutcomes,
        input.observed?.problem ??
          input.observed?.unmeasured?.find((u) => u.metric === 'labelledOutcomes')?.reason,
      ),
    );
  }
  for (const c of expansion) gates.push(expansionGate(c, measuredIn, input));
  if (expansion.length > 0 && input.oversight !== undefined) {
    const oversight = oversightGate(input.oversight, measuredIn, input.observed);
    if (oversight) gates.push(oversight);
  }

  if (train.changeTicketPattern !== undefined)
    gates.push(changeTicketGate(train.changeTicketPattern, candidate));
  if (train.rollbackPlanRequired) {
    gates.push(
      candidate?.rollbackPlan !== undefined
        ? { name: 'rollbackPlan', passed: true, message: `rollback plan linked: ${candidate.rollbackPlan}` }
        : {
            name: 'rollbackPlan',
            passed: false,
            message:
              'the candidate links no rollback plan; the train requires one (spec.candidate.rollbackPlan)',
            short: 'no rollback plan',
          },
    );
  }
  return verdict(to, gates, wakeAt);
}

function verdict(to: string, judged: Judged[], wakeAt?: Date): GateEvaluation {
  const gates = judged.map(({ short: _, ...g }) => g);
  const failed = gates.filter((g) => !g.passed);
  const shortfalls = judged.filter((g) => !g.passed).map((g) => g.short ?? g.name);
  const summary =
    failed.length === 0
      ? gates.length === 0
        ? `${to} has no entry gates`
        : `all ${gates.length} gates for ${to} pass`
      : `${failed.length} of ${gates.length} gates for ${to} fail: ${failed.map((g) => g.message).join('; ')}`;
  return {
    passed: failed.length === 0,
    to,
    gates,
    failed,
    summary,
    shortfalls,
    ...(wakeAt ? { wakeAt } : {}),
  };
}

// --- evaluation thresholds ---------------------------------------------------------------------------------

const label = (metric: string, segment?: string) => (segment ? `${metric} (${segment})` : metric);

function evaluationGate(t: Threshold, candidate: Candidate | undefined): Judged {
  const name = `evaluation: ${label(t.metric, t.segment)}`;
  if (!candidate) return { name, passed: false, message: 'no candidate evaluation', short: 'no evaluation' };
  // A threshold without a segment is held against the overall result, never a segment's.
  const result = candidate.evaluation.results.find((r) => r.metric === t.metric && r.segment === t.segment);
  if (!result) {
    return {
      name,
      passed: false,
      message: `no result for ${label(t.metric, t.segment)} in the candidate's evaluation evidence`,
      short: `no ${label(t.metric, t.segment)} result`,
    };
  }
  return { name, ...checkBounds(label(t.metric, t.segment), result.value, t.min, t.max) };
}

/** A value against min and/or max: which bound fails and by how much. */
function checkBounds(
  what: string,
  value: number,
  min: number | undefined,
  max: number | undefined,
  where = '',
): { passed: boolean; message: string; short?: string } {
  // Four decimals: a value measured from a log carries more digits than anyone reads.
  const measured = `${what} ${show(value, 4)}${where}`;
  if (min !== undefined && value < min) {
    return {
      passed: false,
      message: `${measured} is below the minimum ${show(min)} by ${show(min - value, 4)}`,
      short: `${what} ${show(value, 4)} < ${show(min)}`,
    };
  }
  if (max !== undefined && value > max) {
    return {
      passed: false,
      message: `${measured} is above the maximum ${show(max)} by ${show(value - max, 4)}`,
      short: `${what} ${show(value, 4)} > ${show(max)}`,
    };
  }
  const bounds =
    min !== undefined && max !== undefined
      ? `within ${show(min)} to ${show(max)}`
      : min !== undefined
        ? `at or above the minimum ${show(min)}`
        : `at or below the maximum ${show(max!)}`;
  return { passed: true, message: `${measured} is ${bounds}` };
}

// --- what the previous stage observed ------------------------------------------------------------------------

/** The stage whose observations count, or why none can. */
type MeasuredIn = { stage: string } | { problem: string };

function previousStage(input: GateInput): MeasuredIn {
  if (input.from === undefined) {
    return { problem: `${input.to} is the first stage: there is no previous stage to measure it in` };
  }
  const version = input.observed?.version;
  const candidate = input.candidate?.version;
  if (version !== undefined && candidate !== undefined && version !== candidate) {
    return { problem: `${input.from} runs ${version}, not the candidate ${candidate}` };
  }
  return { stage: input.from };
}

/**
 * The soak gate, worded with instants rather than durations so that its message, and the status that carries
 * it, stay the same from one pass to the next while the soak runs; `endsAt` is when a failing soak will pass.
 */
function soakGate(
  minSoak: string,
  measuredIn: MeasuredIn,
  input: GateInput,
): { gate: Judged; endsAt?: Date } {
  const name = 'minSoak';
  if ('problem' in measuredIn)
    return { gate: { name, passed: false, message: `${measuredIn.problem}; minSoak is ${minSoak}` } };
  const version = input.candidate?.version ?? 'the candidate';
  const since = input.observed?.since;
  const sinceMs = since === undefined ? Number.NaN : new Date(since).getTime();
  if (Number.isNaN(sinceMs)) {
    return {
      gate: {
        name,
        passed: false,
        message: `no record of when ${version} entered ${measuredIn.stage}; minSoak is ${minSoak}`,
        short: 'soak start unknown',
      },
    };
  }
  const endsMs = sinceMs + (parseDuration(minSoak) ?? 0) * 1000;
  if (input.now.getTime() >= endsMs) {
    return {
      gate: {
        name,
        passed: true,
        message: `${version} has soaked in ${measuredIn.stage} since ${instant(sinceMs)} (minimum ${minSoak})`,
      },
    };
  }
  return {
    gate: {
      name,
      passed: false,
      message: `${version} entered ${measuredIn.stage} at ${instant(sinceMs)}; minSoak is ${minSoak}, so it soaks until ${instant(endsMs)}`,
      short: `soak until ${instant(endsMs)}`,
    },
    endsAt: new Date(endsMs),
  };
}

/** 2026-11-22T13:09Z: to the minute, as people read a soak. */
const instant = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';

function countGate(
  name: string,
  what: string,
  required: number,
  measuredIn: MeasuredIn,
  observed: number | undefined,
  problem?: string,
): Judged {
  if ('problem' in measuredIn) {
    return { name, passed: false, message: `${measuredIn.problem}; ${required} ${what} required` };
  }
  if (observed === undefined) {
    return {
      name,
      passed: false,
      message: `no count of ${what} observed in ${measuredIn.stage}${problem ? ` (${problem})` : ''}; ${required} required`,
      short: `${what} not measured`,
    };
  }
  if (observed >= required) {
    return {
      name,
      passed: true,
      message: `${measuredIn.stage} has seen ${observed} ${what} (minimum ${required})`,
    };
  }
  return {
    name,
    passed: false,
    message: `${measuredIn.stage} has seen ${observed} ${what}; ${required} required, ${required - observed} short`,
    short: `${what} ${observed} of ${required}`,
  };
}

// --- expansion criteria ----------------------------------------------------------------------------------------

function expansionGate(c: ExpansionCriterion, measuredIn: MeasuredIn, input: GateInput): Judged {
  const name = `expansion: ${c.metric}`;
  if ('problem' in measuredIn)
    return { name, passed: false, message: `${measuredIn.problem}; ${c.metric} cannot be measured` };
  const where = ` in ${measuredIn.stage}`;
  const measured = input.observed?.metrics?.find((m) => m.metric === c.metric);
  if (!measured) {
    const why =
      input.observed?.unmeasured?.find((u) => u.metric === c.metric)?.reason ?? input.observed?.problem;
    return {
      name,
      passed: false,
      message: `no value of ${c.metric} observed in ${measuredIn.stage}${why ? ` (${why})` : ''}`,
      short: `${c.metric} not measured`,
    };
  }

  const checks: { passed: boolean; message: string; short?: string }[] = [];
  if (c.min !== undefined || c.max !== undefined)
    checks.push(checkBounds(c.metric, measured.value, c.min, c.max, where));
  if (c.maxRegressionPercent !== undefined) {
    checks.push(regression(c.metric, where, measured.value, c.maxRegressionPercent, input.baselines ?? []));
  }
  const failed = checks.filter((x) => !x.passed);
  return {
    name,
    passed: failed.length === 0,
    message: (failed.length > 0 ? failed : checks).map((x) => x.message).join('; '),
    ...(failed.length > 0 ? { short: failed.map((x) => x.short ?? c.metric).join(', ') } : {}),
  };
}

/**
 * The share of drafts people reviewed in the stage against the oversight declared: review-all asks for every
 * one, sample for samplePercent. Exceptions review only routed cases, which the log does not mark: no gate.
 */
function oversightGate(
  oversight: HumanOversight,
  measuredIn: MeasuredIn,
  observed: StageObservations | undefined,
): Judged | undefined {
  const required =
    oversight.mode === 'review-all' ? 100 : oversight.mode === 'sample' ? oversight.samplePercent : undefined;
  if (required === undefined) return undefined;
  const name = 'oversight';
  const declared = oversight.mode === 'review-all' ? 'review-all' : `sample ${show(required)}%`;
  if ('problem' in measuredIn)
    return { name, passed: false, message: `${measuredIn.problem}; oversight ${declared} cannot be checked` };
  const { encounters, reviewed } = observed ?? {};
  const of = observed?.reviewedOf ?? encounters;
  if (of === undefined || reviewed === undefined) {
    const why =
      observed?.problem ??
      (encounters !== undefined ? 'the inference log has no column human_reviewed' : undefined);
    return {
      name,
      passed: false,
      message: `no count of reviewed drafts observed in ${measuredIn.stage}${why ? ` (${why})` : ''}; oversight is ${declared}`,
      short: 'review share not measured',
    };
  }
  if (of === 0) {
    return {
      name,
      passed: false,
      message: `${measuredIn.stage} has no draft that went out yet; oversight is ${declared}`,
      short: 'no drafts out yet',
    };
  }
  const percent = (reviewed / of) * 100;
  const measured = `people reviewed ${reviewed} of ${of} drafts that went out from ${measuredIn.stage} (${show(percent, 2)}%)`;
  // At least the share declared; review-all means every draft, with no rounding.
  const met = oversight.mode === 'review-all' ? reviewed >= of : percent + 1e-9 >= required;
  return met
    ? { name, passed: true, message: `${measured}; oversight ${declared} is met` }
    : {
        name,
        passed: false,
        message: `${measured}; oversight ${declared} asks for ${show(required)}%, ${oversight.mode === 'review-all' ? `${of - reviewed} went out unreviewed` : `${show(required - percent, 2)} points short`}`,
        short: `reviewed ${show(percent, 2)}% < ${show(required)}%`,
      };
}

/** How much worse than the use case's baseline, in the baseline's own direction, against what is allowed. */
function regression(
  metric: string,
  where: string,
  value: number,
  maxPercent: number,
  baselines: readonly BaselineMetric[],
): { passed: boolean; message: string; short?: string } {
  const baseline = baselines.find((b) => b.name === metric);
  if (!baseline) {
    return {
      passed: false,
      message: `no baseline named ${metric} in the use case's baselineMetrics; maxRegressionPercent ${maxPercent} cannot be checked`,
      short: `no ${metric} baseline`,
    };
  }
  const measured = `${metric} ${show(value, 4)}${where}`;
  const worse = baseline.direction === 'lower-is-better' ? value - baseline.value : baseline.value - value;
  const against = `the baseline ${show(baseline.value)} (${baseline.direction === 'lower-is-better' ? 'lower' : 'higher'} is better)`;
  const allowed = `at most ${show(maxPercent)}% worse allowed`;
  if (worse === 0) return { passed: true, message: `${measured} equals ${against}` };
  if (baseline.value === 0) {
    // No relative change from zero: any movement the wrong way is an unbounded regression.
    return worse > 0
      ? {
          passed: false,
          message: `${measured} is worse than ${against}; ${allowed}`,
          short: `${metric} worse than baseline 0`,
        }
      : { passed: true, message: `${measured} is better than ${against}` };
  }
  const percent = (worse / Math.abs(baseline.value)) * 100;
  if (percent < 0)
    return { passed: true, message: `${measured} is ${show(-percent, 2)}% better than ${against}` };
  return {
    // A regression exactly at the limit, written in decimal, must not fail on binary floating point noise.
    passed: percent <= maxPercent + 1e-9,
    message: `${measured} is ${show(percent, 2)}% worse than ${against}; ${allowed}`,
    short: `${metric} ${show(percent, 2)}% worse than baseline > ${show(maxPercent)}%`,
  };
}

// --- the train's boarding rules --------------------------------------------------------------------------------

function changeTicketGate(pattern: string, candidate: Candidate | undefined): Judged {
  const name = 'changeTicket';
  const ticket = candidate?.changeTicket;
  if (ticket === undefined) {
    return {
      name,
      passed: false,
      message: `the candidate has no change ticket; the train requires one matching ${pattern}`,
      short: 'no change ticket',
    };
  }
  return new RegExp(pattern).test(ticket)
    ? { name, passed: true, message: `change ticket ${ticket} matches ${pattern}` }
    : {
        name,
        passed: false,
        message: `change ticket ${ticket} does not match ${pattern}`,
        short: `change ticket ${ticket}`,
      };
}

// --- formatting ------------------------------------------------------------------------------------------------

/** A number as a person writes it: binary noise removed (0.72 - 0.69 is 0.03), optionally rounded. */
export function show(n: number, decimals?: number): string {
  const rounded = decimals === undefined ? n : Math.round(n * 10 ** decimals) / 10 ** decimals;
  return String(Number(rounded.toPrecision(12)));
}
