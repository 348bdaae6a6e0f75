// Benchmark: how fast hostile YAML is refused. The tests check that each input is refused, by the limit that
// stops it (alias expansions, nesting depth); how long that takes is measured here, against the budgets the
// tests used to assert: an alias bomb or 100,000 nested brackets in under 500 ms, a million-byte line in under 1 s.
import { loadYamlSource } from '../controller/src/yaml/source.js';

const FILE = 'governance/use-cases/hostile.yaml';

function aliasBomb(): string {
  const levels = 'abcdefghi';
  let text = `${levels[0]}: &${levels[0]} [${Array(9).fill('"lol"').join(', ')}]\n`;
  for (let i = 1; i < levels.length; i++) {
    text += `${levels[i]}: &${levels[i]} [${Array(9)
      .fill(`*${levels[i - 1]}`)
      .join(', ')}]\n`;
  }
  return text;
}

const CASES: Array<{ name: string; text: string; budgetMs: number; code: string }> = [
  { name: 'alias bomb (9 levels of 9)', text: aliasBomb(), budgetMs: 500, code: 'yaml.alias-limit' },
  { name: '100,000 nested [', text: '['.repeat(100_000), budgetMs: 500, code: 'yaml.too-deep' },
  {
    name: 'a million-byte line of `- `',
    text: `${'- '.repeat(400_000)}x\n`,
    budgetMs: 1000,
    code: 'yaml.too-deep',
  },
  {
    name: 'a million-byte line of `? `',
    text: `${'? '.repeat(400_000)}x\n`,
    budgetMs: 1000,
    code: 'yaml.too-deep',
  },
  { name: '`- [` repeated', text: `${'- ['.repeat(100_000)}\n`, budgetMs: 1000, code: 'yaml.too-deep' },
  {
    name: '1,400 indented block levels',
    text: `${Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`,
    budgetMs: 1000,
    code: 'yaml.too-deep',
  },
];

let failed = 0;
for (const c of CASES) {
  const started = performance.now();
  const result = loadYamlSource(c.text, FILE);
  const ms = performance.now() - started;
  const refused = result.diagnostics.some((d) => d.code === c.code);
  const ok = refused && ms < c.budgetMs;
  if (!ok) failed++;
  process.stdout.write(
    `${ok ? 'ok  ' : 'FAIL'} ${c.name}: ${refused ? `refused (${c.code})` : 'NOT refused'} in ${ms.toFixed(1)} ms (budget ${c.budgetMs} ms)\n`,
  );
}
process.exitCode = failed ? 1 : 0;
