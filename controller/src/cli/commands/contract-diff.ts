// `vigil contract diff OLD NEW`: every change between two versions of a data contract, each classified breaking
// or not, with the consumers a breaking change needs the sign-off of. Either side is a file (a Vigil DataContract
// or an ODCS v3 document) or `REF:path`, the file as a git commit holds it.
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DataContractObject } from '../../../../specs/datacontract.js';
import { compareDiagnostics, type Diagnostic, formatDiagnostic } from '../../diagnostics.js';
import { type ContractChange, diffContracts, show } from '../../kinds/datacontract/contract-diff.js';
import { readDataContract } from '../../kinds/datacontract/contract-document.js';
import { importOdcsText } from '../../kinds/datacontract/odcs.js';
import { parseYamlWithPositions } from '../../kinds/datacontract/yaml-positions.js';
import { GitHistoryError, readRefPath } from '../../validate/git-history.js';
import { formatData, formatTable, InputError, parseOutputFormat } from '../terminal.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
type Format = (typeof FORMATS)[number];
const MAX_BYTES = 8 * 1024 * 1024;

export function registerContractDiff(contract: Command): void {
  contract
    .command('diff')
    .description('List every change between two versions of a data contract, each breaking or not.')
    .argument(
      '<old>',
      'the earlier version: a file, or REF:path from git history (e.g. main:contracts/x.yaml)',
    )
    .argument('<new>', 'the later version: a file, or REF:path')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      [
        '',
        'Either side may be a Vigil DataContract or an ODCS v3 document. Breaking: a schema object or property',
        'removed (a rename is a removal and an addition), a type changed, a property made required or a required',
        'one added, an allowed value removed, a range, length, pattern or uniqueness tightened, a primary key',
        'changed, a PHI class raised or lowered, a quality rule added or tightened, an SLA loosened or removed.',
        "Each breaking change lists the contract's consumers (its spec.consumers, before and after): the use",
        'cases whose owner teams sign it off in the governance repository. A file that exists is read as a file;',
        'otherwise REF:path is read with git from the repository the command runs in.',
        '',
        'Exit status: 0 no breaking change, 1 a breaking change (or a contract that does not read), 2 usage error.',
        '',
        'Examples:',
        '  vigil contract diff main:care-management/inpatient-encounters.yaml care-management/inpatient-encounters.yaml',
        '  vigil contract diff encounters-v1.odcs.yaml encounters-v2.odcs.yaml -o json',
      ].join('\n'),
    )
    .action(async (oldArg: string, newArg: string, opts: { output: string }) => {
      const format = parseOutputFormat(opts.output, FORMATS) as Format;
      const [before, after] = [await readContract(oldArg), await readContract(newArg)];
      const diff = diffContracts(before.contract.spec, after.contract.spec);
      const consumers = consumersOf(before.contract, after.contract);
      const changes = diff.changes.map((c) => ({ ...c, consumers: c.breaking ? consumers : [] }));
      const report = {
        contract: after.contract.metadata.name,
        from: { source: oldArg, version: diff.from.version },
        to: { source: newArg, version: diff.to.version },
        breaking: diff.breaking,
        majorBump: diff.majorBump,
        consumers,
        changes,
      };
      process.stdout.write(`${format === 'table' ? table(report) : formatData(report, format)}\n`);
      if (diff.breaking > 0) process.exitCode = 1;
    });
}

interface Report {
  contract: string;
  from: { source: string; version: string };
  to: { source: string; version: string };
  breaking: number;
  majorBump: boolean;
  consumers: string[];
  changes: (ContractChange & { consumers: string[] })[];
}

function table(r: Report): string {
  const head = `${r.contract} ${r.from.version} -> ${r.to.version}: ${plural(r.breaking, 'breaking change')} of ${r.changes.length}`;
  if (r.changes.length === 0) return `${head}. The two versions say the same.`;
  const rows = r.changes.map((c) => [
    c.breaking ? 'yes' : 'no',
    c.kind,
    c.path || '(contract)',
    values(c),
    c.breaking ? c.consumers.join(', ') || '(none listed)' : '-',
    c.message,
  ]);
  const lines = [
    head,
    '',
    formatTable(['BREAKING', 'KIND', 'PATH', 'OLD -> NEW', 'CONSUMERS', 'CHANGE'], rows),
  ];
  if (r.breaking > 0 && !r.majorBump) {
    lines.push(
      '',
      `A breaking change needs a new major version; the version goes from ${r.from.version} to ${r.to.version}, so \`vigil validate --base\` fails it.`,
    );
  }
  if (r.breaking > 0 && r.consumers.length > 0) {
    lines.push('', `Sign-off needed from the owner team of: ${r.consumers.join(', ')}.`);
  }
  return lines.join('\n');
}

function values(c: ContractChange): string {
  if (!('from' in c) && !('to' in c)) return '-';
  if (c.kind === 'added') return `-> ${show(c.to)}`;
  if (c.kind === 'removed') return `${show(c.from)} ->`;
  return `${show(c.from)} -> ${show(c.to)}`;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The consumers either version lists, as `namespace/use-case` when the namespace is known. */
function consumersOf(a: DataContractObject, b: DataContractObject): string[] {
  const names = [a, b].flatMap((c) =>
    (c.spec.consumers ?? []).map((u) => {
      const ns = u.namespace ?? c.metadata.namespace;
      return ns ? `${ns}/${u.useCase}` : u.useCase;
    }),
  );
  return [...new Set(names)].sort();
}

/** A contract from a file or `REF:path`, as a DataContract whichever format it is written in. */
async function readContract(arg: string): Promise<{ contract: DataContractObject }> {
  const { text, label } = await readSource(arg);
  const parsed = parseYamlWithPositions(text, label);
  const apiVersion = (parsed.value as { apiVersion?: unknown } | undefined)?.apiVersion;
  if (typeof apiVersion === 'string' && apiVersion.startsWith('vigil.dev/')) {
    const read = readDataContract(text, label);
    if (!read.value) return refuse(label, read.diagnostics);
    return { contract: read.value };
  }
  // ODCS: Vigil's additions may be missing; both sides are read the same way, so they compare alike.
  let read = importOdcsText(text, label, { defaultPhi: 'sensitive' });
  if (!read.value && read.diagnostics.some((d) => d.code === 'odcs.owner-team')) {
    read = importOdcsText(text, label, { defaultPhi: 'sensitive', ownerTeam: 'unknown/unknown' });
  }
  if (!read.value) return refuse(label, read.diagnostics);
  return { contract: read.value };
}

function refuse(label: string, diagnostics: Diagnostic[]): never {
  const errors = diagnostics.filter((d) => d.severity === 'error').sort(compareDiagnostics);
  for (const d of errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
  throw new InputError(`${label}: not a valid contract (${plural(errors.length, 'error')})`);
}

async function readSource(arg: string): Promise<{ text: string; label: string }> {
  const onDisk = await stat(arg).catch(() => undefined);
  if (onDisk) {
    if (onDisk.isDirectory()) throw new InputError(`${arg}: is a directory; name one contract file`);
    if (onDisk.size > MAX_BYTES)
      throw new InputError(
        `${arg}: ${onDisk.size} bytes is more than a contract should be (at most ${MAX_BYTES})`,
      );
    return { text: await readFile(arg, 'utf8'), label: arg };
  }
  try {
    const fromGit = await readRefPath(process.cwd(), arg);
    if (fromGit) return { text: fromGit.text, label: `${fromGit.ref}:${fromGit.path}` };
  } catch (error) {
    if (error instanceof GitHistoryError) throw new InputError(`cannot read ${arg}: ${error.message}`);
    throw error;
  }
  throw new InputError(`cannot read ${arg}: no such file (for a file in git history, write REF:path)`);
}
