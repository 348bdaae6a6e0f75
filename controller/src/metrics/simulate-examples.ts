// The example repository's inference logs, made fresh for `vigil start`: a copy of the governance folder in a
// temporary directory, with each example SurveillancePolicy's log written where it reads it, ending now. The
// controller reads data from the copy, so the repository itself is never written to, and Ctrl-C removes it.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSample, type Profile, type SampleEncounter, simulate, writeLog } from './simulate.js';
import { PROFILES, READMISSION_DRIFT } from './simulate-profiles.js';

/** Days of log `vigil start` writes: a 90-day baseline and 14-day window for drift, 125 days for outcomes. */
export const EXAMPLE_DAYS = 150;
export const EXAMPLE_SEED = 1;

export interface ExampleLogs {
  /** The copy of the governance folder holding the logs: the controller's data directory. */
  dataDir: string;
  written: { useCase: string; file: string; rows: number }[];
  /** Write readmission's log again, ending now, drifting at this strength over its last days. */
  driftReadmission(strength: number): Promise<void>;
  remove(): void;
}

interface PolicyDocument {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { inferenceLog?: { uri?: unknown } };
}

/** The profiles whose example policy the documents hold, reading the log where the profile writes it. */
export function profilesIn(documents: readonly { value: unknown }[]): Profile[] {
  return PROFILES.filter((p) =>
    documents.some((d) => {
      const v = d.value as PolicyDocument | null;
      return (
        v?.kind === 'SurveillancePolicy' &&
        v.metadata?.namespace === p.namespace &&
        v.metadata?.name === p.policy &&
        v.spec?.inferenceLog?.uri === p.file
      );
    }),
  );
}

/**
 * Copy `governance` to a temporary directory and write there the log of each example policy `documents` holds,
 * from the UCI sample at `samplePath`, ending at `now`. Undefined when the documents hold none of them.
 */
export async function writeExampleLogs(
  governance: string,
  documents: readonly { value: unknown }[],
  samplePath: string,
  now: Date = new Date(),
): Promise<ExampleLogs | undefined> {
  const profiles = profilesIn(documents);
  if (profiles.length === 0) return undefined;
  const sample = await loadSample(samplePath);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-start-data-'));
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  try {
    cpSync(governance, dataDir, { recursive: true });
    const written: ExampleLogs['written'] = [];
    for (const profile of profiles) {
      const rows = await write(profile, sample, dataDir, now);
      written.push({ useCase: profile.useCase, file: profile.file, rows });
    }
    const readmission = profiles.find((p) => p.useCase === 'readmission-risk');
    return {
      dataDir,
      written,
      async driftReadmission(strength: number) {
        if (!readmission) throw new Error('the governance folder has no readmission example policy');
        await write(readmission, sample, dataDir, new Date(), strength);
      },
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}

async function write(
  profile: Profile,
  sample: readonly SampleEncounter[],
  dataDir: string,
  now: Date,
  driftStrength?: number,
): Promise<number> {
  const rows = simulate(profile, sample, {
    now,
    days: EXAMPLE_DAYS,
    seed: EXAMPLE_SEED,
    ...(driftStrength !== undefined
      ? { driftFrom: EXAMPLE_DAYS - READMISSION_DRIFT.days, driftStrength }
      : {}),
  });
  await writeLog(profile, rows, path.join(dataDir, profile.file), profile.format);
  return rows.length;
}
