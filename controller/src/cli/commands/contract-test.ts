// `vigil contract test CONTRACT [--server NAME] [--data PATH|URL]`: hold the data to the contract where the data
// lives (DuckDB over files, PostgreSQL, Databricks SQL), with the code the controller runs on the contract's
// schedule. Every rule is one line of counts: rows checked, failures, their share, the threshold, pass or fail.
// Nothing from the data is printed, logged or reported: counts and rule names only.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { DataContractObject } from '../../../../specs/datacontract.js';
import type { ContractTestReport, RuleResult } from '../../data/contract-test.js';
import { compareDiagnostics, formatDiagnostic } from '../../diagnostics.js';
import { readDataContract } from '../../kinds/datacontract/contract-document.js';
import { formatTable, InputError, parseOutputFormat, UsageError } from '../terminal.js';

const FORMATS = ['table', 'json', 'junit'] as const;
type Format = (typeof FORMATS)[number];
const MAX_BYTES = 8 * 1024 * 1024;

interface TestFlags {
  server?: string;
  data?: string;
  root?: string;
  now?: string;
  output: string;
  report?: boolean;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
}

export function registerContractTest(contract: Command): void {
  contract
    .command('test')
    .description(
      "Test the data against the contract where the data lives: every rule compiled to the engine's SQL.",
    )
    .argument('<contract>', 'the DataContract YAML, e.g. inpatient-encounters.yaml')
    .option('--server <name>', 'the server to read (default: the first with a file, else the first database)')
    .option('--data <path|url>', "a CSV, Parquet or JSON file (or URL) to read in place of the server's data")
    .option(
      '--root <dir>',
      "the governance repository root that file servers' paths resolve against (default: the nearest directory above the contract where the path exists)",
    )
    .option('--now <time>', 'test freshness as at this time (ISO 8601); default: now')
    .option('-o, --output <format>', 'table, json or junit', 'table')
    .option('--report', "write the result to the DataContract's status in the cluster")
    .option('-n, --namespace <ns>', "with --report: the DataContract's namespace (default: the file's)")
    .option('--kubeconfig <path>', 'with --report: kubeconfig file')
    .option('--context <name>', 'with --report: kubeconfig context')
    .addHelpText(
      'after',
      [
        '',
        'Engines: DuckDB (embedded) for files, local or by URL; PostgreSQL for a server of type postgres (user and',
        'password from PGUSER and PGPASSWORD); Databricks SQL for a server of type databricks (DATABRICKS_HOST,',
        'DATABRICKS_HTTP_PATH, DATABRICKS_TOKEN). Credentials are never read from the contract, and go only to',
        'PGHOST or DATABRICKS_HOST, or to a host listed in VIGIL_DATA_HOSTS (comma-separated host or host:port):',
        "a contract naming another host is refused before anything is sent, so a pull request cannot collect CI's login.",
        '',
        'Output: one line per rule with rows checked, failures, share, threshold and result. junit writes one',
        'testcase per rule, for CI. Progress goes to stderr when it is a terminal.',
        '',
        'Exit status: 0 every rule holds, 1 a rule fails or the test cannot run, 2 usage error.',
        '',
        'Examples:',
        '  vigil contract test examples/care-management/inpatient-encounters.yaml',
        '  vigil contract test encounters.yaml --server warehouse -o junit > contract-test.xml',
        '  vigil contract test encounters.yaml --data https://example.org/extract.parquet',
      ].join('\n'),
    )
    .action(async (file: string, opts: TestFlags) => {
      const format = parseOutputFormat(opts.output, FORMATS) as Format;
      const now = parseNow(opts.now);
      if (opts.report && opts.data !== undefined) {
        throw new UsageError(
          "--report records a test of the contract's own server; a test of --data is not reported",
        );
      }
      const contract = await readContract(file);
      const spec = contract.spec;
      const { runContractTest } = await import('../../data/contract-test.js');
      const { fileOf, serverOf } = await import('../../data/contract-source.js');
      let baseDir: string;
      let data: string | undefined;
      if (opts.data !== undefined && !/^https?:\/\//i.test(opts.data)) {
        const absolute = path.resolve(opts.data);
        baseDir = path.dirname(absolute);
        data = path.basename(absolute);
      } else {
        data = opts.data;
        const server = serverOf(spec, opts.server);
        const written = 'error' in server ? undefined : fileOf(server);
        baseDir = opts.root
          ? path.resolve(opts.root)
          : rootFor(path.dirname(path.resolve(file)), written, spec.schema?.[0]?.name);
      }
      const progress = process.stderr.isTTY
        ? (p: { step: number; steps: number; what: string }) =>
            process.stderr.write(`\r\u001b[K[${p.step}/${p.steps}] ${p.what}`)
        : undefined;
      const report = await runContractTest(spec, {
        baseDir,
        now,
        ...(opts.server !== undefined ? { server: opts.server } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(opts.data !== undefined ? { dataShown: opts.data } : {}),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (progress) process.stderr.write('\r\u001b[K');
      const name = contract.metadata.name;
      process.stdout.write(`${render(report, format, name)}\n`);
      if (report.lastTest.result === 'Error') {
        process.stderr.write(`vigil: ${name}: the test could not run: ${report.lastTest.message}\n`);
      }
      if (opts.report) {
        const namespace = opts.namespace ?? contract.metadata.namespace;
        await reportToCluster(name, namespace, report, opts);
        process.stderr.write(
          `Reported to DataContract ${namespace ? `${namespace}/` : ''}${name}: ${report.lastTest.result}\n`,
        );
      }
      if (report.lastTest.result !== 'Passed') process.exitCode = 1;
    });
}

function parseNow(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)
    ? new Date(text)
    : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    throw new UsageError(`--now must be an ISO 8601 time such as 2026-06-01T00:00:00Z; got "${text}"`);
  }
  return at;
}

async function readContract(file: string): Promise<DataContractObject> {
  let text: string;
  try {
    const s = await stat(file);
    if (s.isDirectory()) throw new InputError(`${file}: is a directory; name one contract file`);
    if (s.size > MAX_BYTES) {
      throw new InputError(
        `${file}: ${s.size} bytes is more than a contract should be (at most ${MAX_BYTES})`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`,
    );
  }
  const read = readDataContract(text, file);
  for (const d of [...read.diagnostics].sort(compareDiagnostics))
    process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!read.value) {
    const n = read.diagnostics.filter((d) => d.severity === 'error').length;
    throw new InputError(`${file}: not tested (${n} error${n === 1 ? '' : 's'})`);
  }
  return read.value;
}

/**
 * The governance repository root for a file server's relative path: the nearest directory at or above the
 * contract's where the path (its first object's file) exists; the contract's directory when there is none.
 */
function rootFor(start: string, written: string | undefined, object: string | undefined): string {
  if (written === undefined || written.startsWith('file:') || path.isAbsolute(written)) return start;
  const first = written.replace(/\{(object|model)\}/g, object ?? '');
  const probe = /[*?[{]/.test(first)
    ? first
        .split('/')
        .filter((s) => !/[*?[{]/.test(s))
        .slice(0, -1)
        .join('/')
    : first;
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, probe || '.'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

// --- output -------------------------------------------------------------------------------------------------------

const show = (n: number | undefined) =>
  n === undefined ? '' : Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
const showShare = (n: number | undefined) => (n === undefined ? '' : `${show(n)}%`);
const RESULT_WORDS: Record<RuleResult['result'], string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR' };

export function render(report: ContractTestReport, format: Format, name: string): string {
  if (format === 'json') {
    return JSON.stringify(
      { contract: name, engine: report.engine, ...report.lastTest, rules: report.rules },
      null,
      2,
    );
  }
  if (format === 'junit') return junit(report, name);
  const t = report.lastTest;
  const rows = report.rules.map((r) => [
    r.rule,
    r.property ? `${r.object}.${r.property}` : r.object,
    r.check,
    String(r.rows),
    show(r.failures),
    showShare(r.share),
    r.failures === undefined && r.value !== undefined ? show(r.value) : '',
    r.threshold,
    RESULT_WORDS[r.result],
  ]);
  const counts = (['pass', 'fail', 'error'] as const).map(
    (k) =>
      `${report.rules.filter((r) => r.result === k).length} ${k === 'pass' ? 'passed' : k === 'fail' ? 'failed' : 'not checked'}`,
  );
  const lines = [
    rows.length
      ? formatTable(
          ['RULE', 'ELEMENT', 'CHECK', 'ROWS', 'FAILURES', 'SHARE', 'VALUE', 'THRESHOLD', 'RESULT'],
          rows,
        )
      : '',
    `${t.result}: ${name} ${t.version ?? ''} against ${t.where}${report.engine ? ` (${report.engine})` : ''}: ${counts.join(', ')}`,
  ];
  return lines.filter(Boolean).join('\n\n');
}

const xml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** JUnit XML as CI tools read it: one testsuite for the contract, one testcase per rule. */
function junit(report: ContractTestReport, name: string): string {
  const t = report.lastTest;
  const failures = report.rules.filter((r) => r.result === 'fail').length;
  const errors =
    report.rules.filter((r) => r.result === 'error').length +
    (t.result === 'Error' && report.rules.length === 0 ? 1 : 0);
  const cases = report.rules.map((r) => {
    const classname = xml(r.property ? `${name}.${r.object}.${r.property}` : `${name}.${r.object}`);
    const figures = `rows ${r.rows}${r.failures !== undefined ? `, failures ${r.failures} (${showShare(r.share)})` : ''}${r.value !== undefined && r.failures === undefined ? `, value ${show(r.value)}` : ''}; ${r.threshold}`;
    const open = `    <testcase classname="${classname}" name="${xml(`${r.rule}: ${r.check}`)}">`;
    if (r.result === 'pass')
      return `${open}\n      <system-out>${xml(figures)}</system-out>\n    </testcase>`;
    const tag = r.result === 'fail' ? 'failure' : 'error';
    return `${open}\n      <${tag} message="${xml(r.message ?? r.check)}" type="${r.result === 'fail' ? 'RuleFailed' : 'RuleNotChecked'}">${xml(figures)}</${tag}>\n    </testcase>`;
  });
  if (t.result === 'Error' && report.rules.length === 0) {
    cases.push(
      `    <testcase classname="${xml(name)}" name="contract test">\n      <error message="${xml(t.message ?? 'the test could not run')}" type="TestNotRun"/>\n    </testcase>`,
    );
  }
  const tests = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vigil contract test" tests="${tests}" failures="${failures}" errors="${errors}">`,
    `  <testsuite name="${xml(name)}" tests="${tests}" failures="${failures}" errors="${errors}" timestamp="${xml(t.at)}" hostname="${xml(t.where)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}

// --- --report -----------------------------------------------------------------------------------------------------

async function reportToCluster(
  name: string,
  fileNamespace: string | undefined,
  report: ContractTestReport,
  opts: TestFlags,
): Promise<void> {
  const { ClusterClient, loadKubeConfig } = await import('../../runtime/index.js');
  const { withCluster } = await import('../../runtime/cluster-errors.js');
  const { DATA_CONTRACTS } = await import('../../kinds/resources.js');
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  const kubeConfig = loadKubeConfig({ kubeconfig: opts.kubeconfig, context: opts.context });
  const namespace =
    fileNamespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  const client = new ClusterClient(kubeConfig);
  try {
    await withCluster(kubeConfig, () =>
      client.customObjects.patchNamespacedCustomObjectStatus(
        {
          group: DATA_CONTRACTS.group,
          version: DATA_CONTRACTS.version,
          namespace,
          plural: DATA_CONTRACTS.plural,
          name,
          body: { status: { lastTest: report.lastTest } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) {
      throw new InputError(
        `no DataContract ${namespace}/${name} in the cluster to report to; apply it first`,
      );
    }
    throw err;
  } finally {
    client.close();
  }
}
