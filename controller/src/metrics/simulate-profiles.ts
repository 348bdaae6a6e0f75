// The four example use cases as `vigil simulate` makes their logs: for each, the columns it writes (documented
// in examples/data/README.md), how a row is made from an encounter of the UCI sample, and what drift does to it.
// Every figure here is made up to be plausible, and sits comfortably inside the example policies' tiers until a
// drift is asked for.
import { plattFit, riskLogit, type SourceEncounter } from './example-inference-log.js';
import {
  DAY_MS,
  type Draw,
  HOUR_MS,
  iso,
  type LogRow,
  normal,
  type Profile,
  round,
  type SampleEncounter,
  sigmoid,
} from './simulate.js';

const decade = (e: SampleEncounter) => Number(/^\[(\d+)/.exec(e.age)?.[1] ?? 50) / 10;
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
/** A draw from a log-normal distribution with this median and log-scale spread. */
const logNormal = (random: () => number, median: number, sigma: number) =>
  median * Math.exp(sigma * normal(random));
/** The sample's value of `column`, or `null` once the time it becomes known is after `now`. */
const known = <T>(when: number, now: number, value: T): T | null => (when <= now ? value : null);

/** The payer of an encounter: Medicare mostly from 65, Medicaid more often through the emergency department. */
function payerType(e: SampleEncounter, random: () => number): string {
  const r = random();
  if (decade(e) >= 6.5) return r < 0.82 ? 'medicare' : r < 0.95 ? 'commercial' : 'medicaid';
  const emergency = e.admission_source_id === 7;
  if (r < (emergency ? 0.34 : 0.2)) return 'medicaid';
  if (r < (emergency ? 0.42 : 0.26)) return 'self-pay';
  return r < 0.33 ? 'medicare' : 'commercial';
}

// ---------------------------------------------------------------------------------------------------------------
// care-management/readmission-risk: a score at discharge; outcome 30 days (and a few days of coding) later.

const READMISSION_PRODUCTION = { version: '2.3.1', labelWeight: 0.3, noise: 0.5 };
const READMISSION_SILENT = { version: '2.4.0', labelWeight: 0.36, noise: 0.5, days: 21 };

function asSource(e: SampleEncounter, inpatient: number): SourceEncounter {
  return { ...e, encounter_id: 0, race: e.race, number_inpatient: inpatient };
}

const readmission: Profile = {
  useCase: 'readmission-risk',
  namespace: 'care-management',
  policy: 'readmission-surveillance',
  file: 'data/readmission-inference-log.csv',
  format: 'csv',
  timestampColumn: 'scored_at',
  versionColumn: 'model_version',
  idColumn: 'encounter_id',
  idPrefix: 'ENC',
  perDay: 90,
  weekend: 0.8,
  summary:
    'readmission-risk: a 30-day readmission score at each discharge (2.3.1, with 2.4.0 in silent mode for the last 21 days); outcomes 30-35 days later',
  columns: [
    ['encounter_id', 'VARCHAR'],
    ['scored_at', 'TIMESTAMPTZ'],
    ['model_version', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['risk_score', 'DOUBLE'],
    ['readmitted', 'VARCHAR'],
    ['outcome_recorded_at', 'TIMESTAMPTZ'],
    ['race', 'VARCHAR'],
    ['gender', 'VARCHAR'],
    ['age', 'VARCHAR'],
    ['admission_source_id', 'INTEGER'],
    ['time_in_hospital', 'INTEGER'],
    ['number_inpatient', 'INTEGER'],
    ['care_manager_override', 'BOOLEAN'],
  ],
  rows(draws, o) {
    const now = o.now.getTime();
    // Drift: a new EHR module records earlier inpatient stays twice for some patients, so the recorded
    // utilisation, and with it the score, rises, while the score says less about who comes back.
    const recorded = draws.map((d) => {
      const doubled = d.drift > 0 && d.random() < Math.min(1, 0.7 * d.drift);
      return d.encounter.number_inpatient + (doubled ? 1 + Math.floor(d.random() * 3) : 0);
    });
    const positive = (d: Draw) => d.encounter.readmitted === '<30';
    const rows: LogRow[] = [];
    for (const model of [READMISSION_PRODUCTION, READMISSION_SILENT]) {
      const raw = draws.map((d, i) => {
        const weight = model.labelWeight * Math.max(0, 1 - d.drift);
        return (
          riskLogit(asSource(d.encounter, recorded[i]!), 0) +
          (positive(d) ? weight : 0) +
          model.noise * (1 + 0.6 * d.drift) * normal(d.random)
        );
      });
      // Calibrated as at validation: on the rows before any drift.
      const fit = draws.flatMap((d, i) => (d.drift === 0 ? [i] : []));
      const { a, b } = plattFit(
        fit.map((i) => raw[i]!),
        fit.map((i) => positive(draws[i]!)),
      );
      const silent = 'days' in model;
      draws.forEach((d, i) => {
        if (silent && d.at < now - READMISSION_SILENT.days * DAY_MS) return;
        const recordedAt = d.at + 30 * DAY_MS + Math.floor(d.random() * 5 * DAY_MS);
        const score = sigmoid(a * raw[i]! + b);
        // Care managers see production's score only; they overrule its tier now and then, more when it drifts.
        const override = silent ? null : d.random() < 0.04 + 0.03 * (score > 0.3 ? 1 : 0) + 0.08 * d.drift;
        rows.push({
          encounter_id: d.id,
          scored_at: iso(d.at),
          model_version: model.version,
          stage: silent ? 'silent' : 'production',
          risk_score: round(score),
          readmitted: known(recordedAt, now, d.encounter.readmitted),
          outcome_recorded_at: recordedAt <= now ? iso(recordedAt) : null,
          race: d.encounter.race,
          gender: d.encounter.gender,
          age: d.encounter.age,
          admission_source_id: d.encounter.admission_source_id,
          time_in_hospital: d.encounter.time_in_hospital,
          number_inpatient: recorded[i]!,
          care_manager_override: override,
        });
      });
    }
    return rows;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// revenue-cycle/denials-triage: a category and work queue for each denied claim line; the denial specialist's
// worked category 5 to 20 days later.

const CATEGORIES = [
  'authorization',
  'eligibility',
  'coding',
  'medical-necessity',
  'timely-filing',
  'duplicate',
  'coordination-of-benefits',
  'other',
] as const;
const QUEUE: Record<(typeof CATEGORIES)[number], string> = {
  authorization: 'front-end',
  eligibility: 'front-end',
  coding: 'coding',
  'medical-necessity': 'clinical-appeals',
  'timely-filing': 'follow-up',
  duplicate: 'follow-up',
  'coordination-of-benefits': 'follow-up',
  other: 'follow-up',
};

const denials: Profile = {
  useCase: 'denials-triage',
  namespace: 'revenue-cycle',
  policy: 'denials-triage-surveillance',
  file: 'data/denials-triage-inference-log.parquet',
  format: 'parquet',
  timestampColumn: 'scored_at',
  versionColumn: 'model_version',
  idColumn: 'claim_line_id',
  idPrefix: 'CLM',
  perDay: 140,
  weekend: 0.15,
  summary:
    'denials-triage: a denial category and work queue for each denied claim line (3.1.4); the worked category 5-20 days later',
  columns: [
    ['claim_line_id', 'VARCHAR'],
    ['scored_at', 'TIMESTAMPTZ'],
    ['model_version', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['payer_type', 'VARCHAR'],
    ['billed_amount', 'DOUBLE'],
    ['predicted_category', 'VARCHAR'],
    ['denial_queue', 'VARCHAR'],
    ['top_category_score', 'DOUBLE'],
    ['reassigned_by_specialist', 'BOOLEAN'],
    ['worked_at', 'TIMESTAMPTZ'],
    ['worked_category', 'VARCHAR'],
    ['top1_correct', 'BOOLEAN'],
  ],
  rows(draws, o) {
    const now = o.now.getTime();
    return draws.map((d) => {
      const e = d.encounter;
      const payer = payerType(e, d.random);
      const category =
        CATEGORIES[
          (e.admission_type_id * 3 + e.discharge_disposition_id + e.number_diagnoses + e.num_procedures) %
            CATEGORIES.length
        ]!;
      // How clear the denial is: many diagnoses and procedures make it harder; drift (a payer's new reason
      // codes) makes it harder still, and the model, not knowing, stays about as sure of itself.
      const clarity =
        2.6 -
        0.05 * Math.max(0, e.number_diagnoses - 5) -
        0.08 * e.num_procedures +
        (payer === 'commercial' ? 0.2 : payer === 'self-pay' ? -0.2 : 0) +
        0.35 * normal(d.random);
      const correctP = sigmoid(clarity - 1.6 * d.drift);
      const score = sigmoid(clarity - 0.5 * d.drift + 0.25 * normal(d.random));
      const correct = d.random() < correctP;
      const worked = CATEGORIES.filter((c) => c !== category);
      const touched = d.at + Math.floor((1 + d.random() * 4) * DAY_MS);
      const workedAt = d.at + Math.floor((5 + d.random() * 15) * DAY_MS);
      const reassigned = d.random() < (correct ? 0.04 : 0.55);
      return {
        claim_line_id: d.id,
        scored_at: iso(d.at),
        model_version: '3.1.4',
        stage: 'production',
        payer_type: payer,
        billed_amount: round(logNormal(d.random, 180 + 40 * e.num_procedures, 0.9), 2),
        predicted_category: category,
        denial_queue: QUEUE[category],
        top_category_score: round(score),
        reassigned_by_specialist: known(touched, now, reassigned),
        worked_at: workedAt <= now ? iso(workedAt) : null,
        worked_category: known(
          workedAt,
          now,
          correct ? category : d.random() < 0.5 ? 'other' : pick(d.random, worked),
        ),
        top1_correct: known(workedAt, now, correct),
      };
    });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// clinical-documentation/ambient-documentation: a draft note for each adult visit; the clinician's edits and
// flags when the note is signed, usually within hours.

const SITES = [
  'lakeside',
  'briar-creek',
  'cedar-hill',
  'east-end',
  'fairview',
  'harbor',
  'maple-grove',
  'north-park',
  'oak-ridge',
  'riverside',
  'south-gate',
  'west-valley',
] as const;

function department(e: SampleEncounter): string {
  if (e.admission_type_id === 2) return 'internal-medicine';
  if (e.number_diagnoses >= 9 && e.num_medications >= 20) return 'cardiology';
  if (e.admission_type_id === 3) return 'endocrinology';
  return 'family-medicine';
}

const ambient: Profile = {
  useCase: 'ambient-documentation',
  namespace: 'clinical-documentation',
  policy: 'ambient-surveillance',
  file: 'data/ambient-note-drafts.parquet',
  format: 'parquet',
  timestampColumn: 'drafted_at',
  versionColumn: 'pipeline_version',
  idColumn: 'note_id',
  idPrefix: 'NOTE',
  perDay: 300,
  weekend: 0.1,
  // Patients under 18 are routed to manual documentation: no draft.
  excludes: (e) => decade(e) < 2,
  summary:
    'ambient-documentation: a draft note for each adult visit in the twelve clinics (0.9.2); edits and flags when the clinician signs',
  columns: [
    ['note_id', 'VARCHAR'],
    ['drafted_at', 'TIMESTAMPTZ'],
    ['pipeline_version', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['site', 'VARCHAR'],
    ['department', 'VARCHAR'],
    ['note_type', 'VARCHAR'],
    ['patient_age_band', 'VARCHAR'],
    ['active_medication_count', 'INTEGER'],
    ['draft_seconds', 'DOUBLE'],
    ['signed_at', 'TIMESTAMPTZ'],
    ['human_reviewed', 'BOOLEAN'],
    ['edit_ratio', 'DOUBLE'],
    ['overridden', 'BOOLEAN'],
    ['clinician_flag', 'VARCHAR'],
  ],
  rows(draws, o) {
    const now = o.now.getTime();
    return draws.map((d) => {
      const e = d.encounter;
      // Lakeside family medicine was the pilot and still drafts the most notes.
      const site = d.random() < 0.2 ? 'lakeside' : pick(d.random, SITES);
      const edits = sigmoid(
        -1.3 + 0.025 * (Math.min(e.num_medications, 40) - 15) + 0.9 * d.drift + 0.45 * normal(d.random),
      );
      const signedAt = d.at + Math.floor(logNormal(d.random, 3, 0.9) * HOUR_MS);
      const flag = d.random() < 0.0025 + 0.02 * d.drift ? 'not-discussed' : 'none';
      return {
        note_id: d.id,
        drafted_at: iso(d.at),
        pipeline_version: '0.9.2',
        // Lakeside family medicine is the pilot department; the rest of the clinics are the ambulatory stage.
        stage: site === 'lakeside' && department(e) === 'family-medicine' ? 'pilot-department' : 'ambulatory',
        site,
        department: department(e),
        note_type: e.number_outpatient === 0 ? 'new-patient' : 'follow-up',
        patient_age_band: e.age,
        active_medication_count: e.num_medications,
        draft_seconds: round(logNormal(d.random, 22 + 0.2 * e.num_medications, 0.22) * (1 + d.drift), 1),
        signed_at: signedAt <= now ? iso(signedAt) : null,
        human_reviewed: signedAt <= now,
        edit_ratio: known(signedAt, now, round(edits, 3)),
        overridden: known(signedAt, now, edits > 0.3),
        clinician_flag: known(signedAt, now, flag),
      };
    });
  },
};

// ---------------------------------------------------------------------------------------------------------------
// utilization-management/prior-auth-summarization: a drafted summary for each prior authorization request at the
// pilot clinic; the UM nurse reviews every draft, and the payer decides a day or two later.

const PAYERS = [
  'medicare-advantage-1',
  'medicare-advantage-2',
  'medicaid-managed-care',
  'commercial-1',
  'commercial-2',
  'commercial-3',
] as const;

function serviceType(e: SampleEncounter): string {
  if (e.num_procedures >= 3) return 'surgery';
  if (e.num_procedures >= 1) return 'imaging';
  if (e.num_medications >= 25) return 'specialty-drug';
  return e.time_in_hospital >= 7 ? 'post-acute' : 'therapy';
}

const priorAuth: Profile = {
  useCase: 'prior-auth-summarization',
  namespace: 'utilization-management',
  policy: 'prior-auth-surveillance',
  file: 'data/prior-auth-drafts.parquet',
  format: 'parquet',
  timestampColumn: 'drafted_at',
  versionColumn: 'bundle_version',
  idColumn: 'request_id',
  idPrefix: 'PA',
  perDay: 26,
  weekend: 0.05,
  summary:
    'prior-auth-summarization: a drafted summary for each prior authorization request at the pilot clinic (1.4.0); every draft reviewed by a UM nurse, the payer decision after',
  columns: [
    ['request_id', 'VARCHAR'],
    ['received_at', 'TIMESTAMPTZ'],
    ['drafted_at', 'TIMESTAMPTZ'],
    ['bundle_version', 'VARCHAR'],
    ['stage', 'VARCHAR'],
    ['site', 'VARCHAR'],
    ['payer', 'VARCHAR'],
    ['service_type', 'VARCHAR'],
    ['reviewed_at', 'TIMESTAMPTZ'],
    ['human_reviewed', 'BOOLEAN'],
    ['nurse_review_minutes', 'DOUBLE'],
    ['edit_ratio', 'DOUBLE'],
    ['overridden', 'BOOLEAN'],
    ['nurse_flagged_unsupported', 'BOOLEAN'],
    ['decided_at', 'TIMESTAMPTZ'],
    ['decision', 'VARCHAR'],
    ['cycle_time_hours', 'DOUBLE'],
    ['first_pass_approved', 'BOOLEAN'],
    ['reworked', 'BOOLEAN'],
  ],
  rows(draws, o) {
    const now = o.now.getTime();
    return draws.map((d) => {
      const e = d.encounter;
      const drafted = d.at + Math.floor((2 + d.random() * 8) * 60_000);
      const reviewed = drafted + Math.floor(logNormal(d.random, 2.5, 0.7) * HOUR_MS);
      const edits = sigmoid(
        -1.95 +
          0.04 * e.num_procedures +
          0.03 * Math.max(0, e.number_diagnoses - 7) +
          0.9 * d.drift +
          0.5 * normal(d.random),
      );
      const reworked = d.random() < 0.09 + 0.15 * d.drift;
      const firstPass = !reworked && d.random() < 0.93 - 0.1 * d.drift;
      const hours = logNormal(d.random, 20 * (1 + 0.5 * d.drift) * (reworked ? 1.8 : 1), 0.55);
      const decided = drafted + Math.floor(hours * HOUR_MS);
      const decision = firstPass ? 'approved' : d.random() < 0.6 ? 'approved' : 'denied';
      return {
        request_id: d.id,
        received_at: iso(d.at),
        drafted_at: iso(drafted),
        bundle_version: '1.4.0',
        stage: 'pilot-clinic',
        site: 'lakeside',
        payer: pick(d.random, PAYERS),
        service_type: serviceType(e),
        reviewed_at: reviewed <= now ? iso(reviewed) : null,
        human_reviewed: reviewed <= now,
        nurse_review_minutes: known(
          reviewed,
          now,
          round(logNormal(d.random, 28, 0.4) * (1 + 0.4 * edits), 1),
        ),
        edit_ratio: known(reviewed, now, round(edits, 3)),
        overridden: known(reviewed, now, edits > 0.2),
        nurse_flagged_unsupported: known(reviewed, now, d.random() < 0.006 + 0.03 * d.drift),
        decided_at: decided <= now ? iso(decided) : null,
        decision: known(decided, now, decision),
        cycle_time_hours: known(decided, now, round(hours, 2)),
        first_pass_approved: known(decided, now, firstPass),
        reworked: known(decided, now, reworked),
      };
    });
  },
};

export const PROFILES: readonly Profile[] = [readmission, denials, ambient, priorAuth];

/** The profile of a use case, by its UseCase name. */
export const profileOf = (useCase: string): Profile | undefined =>
  PROFILES.find((p) => p.useCase === useCase);

/**
 * The drift `vigil start --drift` walks readmission risk through: the last `days` of the log drift, at each of
 * these strengths in turn. The score's PSI then reads about 0.15, 0.22 and 0.56 (notify, review and rollback of
 * the example policy); the outcome metrics do not move, since those rows have no outcome yet.
 */
export const READMISSION_DRIFT = { days: 14, steps: [0.37, 0.5, 1] } as const;
