// Writes readmission-inference-log.csv beside this file from the public UCI encounter sample.
// Run from the repository root after `npm run build`:
//   node examples/data/generate-inference-log.mjs [path/to/encounters-sample.csv]
// The sample defaults to the project's own copy, examples/data/uci-diabetes-130/encounters-sample.csv.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EXAMPLE_LOG_OPTIONS,
  generateInferenceLog,
  inferenceLogCsv,
} from '../../dist/controller/src/metrics/example-inference-log.js';
import { loadSourceEncounters } from '../../dist/controller/src/metrics/example-log-source.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const input = process.argv[2] ?? path.resolve(here, 'uci-diabetes-130/encounters-sample.csv');
const output = path.join(here, 'readmission-inference-log.csv');

const encounters = await loadSourceEncounters(input);
const rows = generateInferenceLog(encounters, EXAMPLE_LOG_OPTIONS);
writeFileSync(output, inferenceLogCsv(rows));
console.log(
  `${path.relative(process.cwd(), output)}: ${rows.length} rows from ${encounters.length} encounters`,
);
