// Reads the encounters the example inference log is made from: the public UCI sample, through the data engine.
import path from 'node:path';
import { withEngine } from '../data/engine.js';
import type { SourceEncounter } from './example-inference-log.js';

const COLUMNS = [
  'encounter_id',
  'race',
  'age',
  'admission_source_id',
  'discharge_disposition_id',
  'time_in_hospital',
  'number_outpatient',
  'number_emergency',
  'number_inpatient',
  'number_diagnoses',
  'readmitted',
] as const;

/** The encounters of the CSV at `csvPath` ("?" read as missing), by encounter id. */
export async function loadSourceEncounters(csvPath: string): Promise<SourceEncounter[]> {
  const dir = path.dirname(path.resolve(csvPath));
  return withEngine(dir, async (engine) => {
    await engine.register('encounters', path.basename(csvPath), {
      nullMarkers: ['?'],
      columnTypes: { race: 'VARCHAR', age: 'VARCHAR', readmitted: 'VARCHAR' },
    });
    const rows = await engine.query(
      `SELECT ${COLUMNS.map((c) => `"${c}"`).join(', ')} FROM encounters ORDER BY encounter_id`,
    );
    return rows.map((r) => ({
      encounter_id: Number(r.encounter_id),
      race: r.race === null ? null : String(r.race),
      age: String(r.age),
      admission_source_id: Number(r.admission_source_id),
      discharge_disposition_id: Number(r.discharge_disposition_id),
      time_in_hospital: Number(r.time_in_hospital),
      number_outpatient: Number(r.number_outpatient),
      number_emergency: Number(r.number_emergency),
      number_inpatient: Number(r.number_inpatient),
      number_diagnoses: Number(r.number_diagnoses),
      readmitted: String(r.readmitted),
    }));
  });
}
