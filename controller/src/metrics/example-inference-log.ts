// A fixed inference log of readmission risk, for tests (test/fixtures/surveillance/readmission-inference-log.csv,
// dates up to 2026-06-01; the example repository's logs come fresh from simulate.ts): what a scoring job would
// have written over 90 days, made up
// from the encounters of the public UCI sample. Nothing in it is a real prediction. Each encounter gets a risk
// score from a fixed formula over a few of its columns plus a term on its recorded outcome (standing in for
// what a trained model learns) and seeded noise, mapped to a probability by a logistic fit (Platt scaling) so
// the scores are calibrated. Then, as a surveillance policy should notice:
// - the last 14 days score a little higher (a shift of the case mix), so PSI drift is visible but modest;
// - outcomes of the last 30 days have not matured, so their label is empty;
// - the candidate version scores the last 21 days in silent mode beside production, so a log read without a
//   version filter mixes two models.
// Deterministic: the same encounters and options give the same rows, byte for byte. No patient number.

export interface SourceEncounter {
  encounter_id: number;
  race: string | null;
  age: string;
  admission_source_id: number;
  discharge_disposition_id: number;
  time_in_hospital: number;
  number_outpatient: number;
  number_emergency: number;
  number_inpatient: number;
  number_diagnoses: number;
  readmitted: string;
}

export interface InferenceLogRow {
  encounter_id: number;
  scored_at: string;
  model_version: string;
  risk_score: number;
  /** NO, <30 or >30; null while the outcome has not matured. */
  readmitted: string | null;
  race: string | null;
  age: string;
  admission_source_id: number;
}

export interface InferenceLogOptions {
  /** The end of the log: rows are scored in the `days` before it. */
  end: Date;
  days: number;
  seed: number;
  /** The version in production, scoring every encounter. */
  production: ExampleModel;
  /** The candidate, scoring in silent mode at the end. */
  candidate: ExampleModel;
  /** Days at the end scored by the candidate too (silent mode). */
  silentDays: number;
  /** Days at the end whose scores shift, and by how much on the log-odds scale. */
  shiftDays: number;
  shift: number;
  /** Days at the end whose outcome is not known yet. */
  maturityDays: number;
}

/**
 * A made-up model: how much its score leans on the recorded outcome (log-odds added for a readmission within 30
 * days) and how noisy it is (standard deviation of the noise, in log-odds).
 */
export interface ExampleModel {
  version: string;
  labelWeight: number;
  noise: number;
}

export const EXAMPLE_LOG_OPTIONS: InferenceLogOptions = {
  end: new Date('2026-06-01T00:00:00Z'),
  days: 90,
  seed: 20260601,
  production: { version: '2.3.1', labelWeight: 0.3, noise: 0.5 },
  candidate: { version: '2.4.0', labelWeight: 0.36, noise: 0.5 },
  silentDays: 21,
  shiftDays: 14,
  shift: 0.2,
  maturityDays: 30,
};

const DAY_MS = 86_400_000;

/** mulberry32: a small, well-mixed 32-bit generator; enough for example data, and the same everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box-Muller). */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const positive = (e: SourceEncounter) => e.readmitted === '<30';
const cap = (n: number, max: number) => Math.min(Number.isFinite(n) ? n : 0, max);

/** The fixed formula, on the log-odds scale: prior use of the hospital, length of stay, age, where they went. */
export function riskLogit(e: SourceEncounter, labelWeight: number): number {
  const decade = Number(/^\[(\d+)/.exec(e.age)?.[1] ?? 50) / 10;
  const toCare = [3, 4, 5, 22].includes(e.discharge_disposition_id) ? 0.35 : 0;
  return (
    0.42 * cap(e.number_inpatient, 6) +
    0.18 * cap(e.number_emergency, 6) +
    0.06 * cap(e.number_outpatient, 6) +
    0.035 * cap(e.time_in_hospital, 14) +
    0.04 * cap(e.number_diagnoses, 16) +
    0.05 * decade +
    toCare +
    (positive(e) ? labelWeight : 0)
  );
}

/**
 * Platt scaling: the a, b of p = sigmoid(a * x + b) that fit the outcomes best. Newton's method from the base
 * rate, each step halved until the log-loss falls, so it cannot overshoot.
 */
export function plattFit(xs: readonly number[], ys: readonly boolean[]): { a: number; b: number } {
  const loss = (a: number, b: number) => {
    let total = 0;
    for (let i = 0; i < xs.length; i++) {
      const z = a * xs[i]! + b;
      // log(1 + e^z) - y z, written to stay finite for large |z|.
      total += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (ys[i] ? z : 0);
    }
    return total;
  };
  const rate = Math.min(Math.max(ys.filter(Boolean).length / Math.max(ys.length, 1), 1e-6), 1 - 1e-6);
  let a = 0;
  let b = Math.log(rate / (1 - rate));
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const p = sigmoid(a * x + b);
      const r = p - (ys[i] ? 1 : 0);
      const w = p * (1 - p);
      ga += r * x;
      gb += r;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    while (step > 1e-6 && loss(a - step * da, b - step * db) > current) step /= 2;
    a -= step * da;
    b -= step * db;
    const next = loss(a, b);
    const done = current - next < 1e-10;
    current = next;
    if (done) break;
  }
  return { a, b };
}

/** The rows of the log, ordered by when they were scored, then by version. */
export function generateInferenceLog(
  encounters: readonly SourceEncounter[],
  options: InferenceLogOptions = EXAMPLE_LOG_OPTIONS,
): InferenceLogRow[] {
  const random = seededRandom(options.seed);
  const end = options.end.getTime();
  const span = options.days * DAY_MS;
  // When each encounter was scored: spread evenly at random over the period, to the minute.
  const scoredAt = encounters.map(() => end - span + Math.floor((random() * span) / 60_000) * 60_000);
  const models = [options.production, options.candidate];
  const rows: InferenceLogRow[] = [];
  for (const [m, model] of models.entries()) {
    const noise = seededRandom(options.seed + 1 + m);
    const shifted = (t: number) => t >= end - options.shiftDays * DAY_MS;
    const raw = encounters.map(
      (e, i) =>
        riskLogit(e, model.labelWeight) +
        model.noise * normal(noise) +
        (shifted(scoredAt[i]!) ? options.shift : 0),
    );
    // Calibrated on the outcomes before the shift, as the model was at validation.
    const fitted = encounters.flatMap((_, i) => (shifted(scoredAt[i]!) ? [] : [i]));
    const { a, b } = plattFit(
      fitted.map((i) => raw[i]!),
      fitted.map((i) => positive(encounters[i]!)),
    );
    encounters.forEach((e, i) => {
      const at = scoredAt[i]!;
      if (model === options.candidate && at < end - options.silentDays * DAY_MS) return;
      rows.push({
        encounter_id: e.encounter_id,
        scored_at: new Date(at).toISOString().replace('.000Z', 'Z'),
        model_version: model.version,
        risk_score: Number(sigmoid(a * raw[i]! + b).toFixed(4)),
        readmitted: at >= end - options.maturityDays * DAY_MS ? null : e.readmitted,
        race: e.race,
        age: e.age,
        admission_source_id: e.admission_source_id,
      });
    });
  }
  return rows.sort(
    (x, y) =>
      x.scored_at.localeCompare(y.scored_at) ||
      x.encounter_id - y.encounter_id ||
      x.model_version.localeCompare(y.model_version),
  );
}

const COLUMNS: (keyof InferenceLogRow)[] = [
  'encounter_id',
  'scored_at',
  'model_version',
  'risk_score',
  'readmitted',
  'race',
  'age',
  'admission_source_id',
];

/** CSV with a header; NULL as an empty field. No value holds a comma or a quote, which the test checks. */
export function inferenceLogCsv(rows: readonly InferenceLogRow[]): string {
  const lines = rows.map((r) => COLUMNS.map((c) => (r[c] === null ? '' : String(r[c]))).join(','));
  return `${[COLUMNS.join(','), ...lines].join('\n')}\n`;
}
