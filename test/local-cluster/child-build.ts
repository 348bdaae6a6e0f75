// Child processes (a server killed mid-write, the CLI) need JavaScript: transpile the local cluster and its
// CLI command with the project's TypeScript into node_modules/.cache, where bare imports still resolve.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './harness.js';

const SOURCES = [
  'controller/src/local-cluster',
  'controller/src/cli/terminal.ts',
  'controller/src/cli/commands/local-cluster.ts',
];

let built: string | undefined;

/** Transpile once per test file; returns the directory that mirrors the repository layout. */
export function buildForChildProcess(): string {
  if (built) return built;
  const out = join(REPO_ROOT, 'node_modules', '.cache', 'vigil-local-cluster-tests', String(process.pid));
  for (const source of SOURCES) {
    const abs = join(REPO_ROOT, source);
    const files = source.endsWith('.ts')
      ? [abs]
      : readdirSync(abs)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
          .map((f) => join(abs, f));
    for (const file of files) {
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: false,
        },
      }).outputText;
      const target = join(out, relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, js);
    }
  }
  built = out;
  return out;
}

/** Remove what buildForChildProcess wrote. */
export function removeChildBuild(): void {
  if (built) rmSync(built, { recursive: true, force: true });
  built = undefined;
}
