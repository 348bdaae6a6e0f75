// `vigil contract import|export`: move a data contract between ODCS v3 and Vigil's DataContract.
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { dataContractKind, PHI_CLASSES, type PhiClass } from '../../../../specs/datacontract.js';
import { SCHEMA_BASE_URL } from '../../../../specs/generate.js';
import { compareDiagnostics, type Diagnostic, formatDiagnostic } from '../../diagnostics.js';
import { readDataContract } from '../../kinds/datacontract/contract-document.js';
import { exportOdcs, importOdcsText, validateOdcs } from '../../kinds/datacontract/odcs.js';
import { loadYamlSource } from '../../yaml/index.js';
import { InputError, parseOutputFormat, UsageError } from '../terminal.js';
import { registerContractDiff } from './contract-diff.js';
import { registerContractTest } from './contract-test.js';

/** Where editors find the DataContract JSON Schema: the $id of specs/json/datacontract.json. */
export const DATACONTRACT_SCHEMA_URL = `${SCHEMA_BASE_URL}/${dataContractKind.singular}.json`;

// A data contract is a few hundred kilobytes at most; refusing more keeps a wrong path from filling memory.
const MAX_BYTES = 8 * 1024 * 1024;

const FORMATS = ['yaml', 'json'] as const;

/**
 * YAML that YAML 1.1 readers (kubectl, Go and Python tooling) read the same way: values such as `No`, `Y` or
 * `09:00`, plain text in YAML 1.2, would otherwise come back as booleans or numbers there. They are quoted.
 */
function portableYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, version: '1.1' }).trimEnd();
}

function render(value: unknown, format: (typeof FORMATS)[number]): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : portableYaml(value);
}

export function registerContract(program: Command): void {
  const contract = program
    .command('contract')
    .description('Data contracts: import from and export to the Open Data Contract Standard (ODCS v3).');

  contract
    .command('import')
    .description('Read an ODCS v3 contract and print it as a Vigil DataContract.')
    .argument('<file>', 'the ODCS contract, e.g. encounters.odcs.yaml')
    .option('--name <name>', "metadata.name (default: from the contract's name or id)")
    .option('--namespace <namespace>', 'metadata.namespace')
    .option('--owner-team <org/team>', 'the accountable GitHub team, when the contract does not name it')
    .option(
      '--default-phi <class>',
      `PHI class for properties the contract does not classify: ${PHI_CLASSES.join(', ')}`,
      'sensitive',
    )
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .addHelpText(
      'after',
      [
        '',
        'PHI classification, consumers and the owner team travel in ODCS customProperties (vigilPhi, vigilConsumers,',
        'vigilOwnerTeam). A property without vigilPhi is classified --default-phi, with a warning naming it.',
        '',
        'Exit status: 0 imported (warnings on stderr), 1 the contract is invalid, 2 usage error.',
        '',
        'Example:',
        '  vigil contract import encounters.odcs.yaml --namespace readmission > encounters.yaml',
      ].join('\n'),
    )
    .action(async (file: string, opts: ImportFlags) => {
      const format = parseOutputFormat(opts.output, FORMATS) as (typeof FORMATS)[number];
      const defaultPhi = parsePhi(opts.defaultPhi);
      const text = await readText(file);
      refuseSeveralDocuments(text, file);
      const result = importOdcsText(text, file, {
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.ownerTeam !== undefined ? { ownerTeam: opts.ownerTeam } : {}),
        defaultPhi,
      });
      report(result.diagnostics);
      if (!result.value) throw new InputError(`${file}: not imported (${countErrors(result.diagnostics)})`);
      const body = render(result.value, format);
      process.stdout.write(
        format === 'yaml'
          ? `# yaml-language-server: $schema=${DATACONTRACT_SCHEMA_URL}\n${body}\n`
          : `${body}\n`,
      );
    });

  contract
    .command('export')
    .description('Read a Vigil DataContract and print it as an ODCS v3.1.0 contract.')
    .argument('<file>', 'the DataContract YAML, e.g. encounters.yaml')
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .addHelpText(
      'after',
      [
        '',
        "The output validates against the ODCS v3.1.0 JSON Schema; Vigil's additions go in customProperties.",
        '',
        'Exit status: 0 exported, 1 the DataContract is invalid, 2 usage error.',
        '',
        'Example:',
        '  vigil contract export encounters.yaml > encounters.odcs.yaml',
      ].join('\n'),
    )
    .action(async (file: string, opts: { output: string }) => {
      const format = parseOutputFormat(opts.output, FORMATS) as (typeof FORMATS)[number];
      const text = await readText(file);
      const read = readDataContract(text, file);
      report(read.diagnostics);
      if (!read.value) throw new InputError(`${file}: not exported (${countErrors(read.diagnostics)})`);
      const odcs = exportOdcs(read.value);
      // The kind's rules are meant to imply ODCS validity; say so plainly if they ever do not.
      const problems = validateOdcs(odcs);
      if (problems.length > 0) {
        const lines = problems.map((p) => `  ${p.path.join('.')}: ${p.message}`).join('\n');
        throw new InputError(`${file}: the export is not valid ODCS v3.1.0:\n${lines}`);
      }
      process.stdout.write(`${render(odcs, format)}\n`);
    });

  registerContractTest(contract);
  registerContractDiff(contract);
}

interface ImportFlags {
  name?: string;
  namespace?: string;
  ownerTeam?: string;
  defaultPhi: string;
  output: string;
}

function parsePhi(value: string): PhiClass {
  if (!(PHI_CLASSES as readonly string[]).includes(value)) {
    throw new UsageError(`--default-phi must be one of ${PHI_CLASSES.join(', ')}; got "${value}"`);
  }
  return value as PhiClass;
}

async function readText(file: string): Promise<string> {
  try {
    const { size, isDirectory } = await stat(file).then((s) => ({
      size: s.size,
      isDirectory: s.isDirectory(),
    }));
    if (isDirectory) throw new InputError(`${file}: is a directory; name one contract file`);
    if (size > MAX_BYTES)
      throw new InputError(`${file}: ${size} bytes is more than a contract should be (at most ${MAX_BYTES})`);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new InputError(`cannot read ${file}: ${why}`);
  }
}

/**
 * An ODCS file holds one contract. Several documents in one file (a bundle, or contracts joined with `---`) are
 * refused by name, at the second one, rather than as whatever the first parse error happens to be.
 */
function refuseSeveralDocuments(text: string, file: string): void {
  const several = loadYamlSource(text, file, { single: true }).diagnostics.find(
    (d) => d.code === 'yaml.multiple-documents',
  );
  if (!several) return;
  report([
    {
      ...several,
      hint: 'an ODCS file holds one contract; put each in its own file and import them one by one',
    },
  ]);
  throw new InputError(`${file}: not imported (1 error)`);
}

function report(diagnostics: Diagnostic[]): void {
  for (const d of [...diagnostics].sort(compareDiagnostics)) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

function countErrors(diagnostics: Diagnostic[]): string {
  const n = diagnostics.filter((d) => d.severity === 'error').length;
  return `${n} error${n === 1 ? '' : 's'}`;
}
