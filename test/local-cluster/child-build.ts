// Child processes (a server killed mid-write, the CLI) need JavaScript: transpile the controller's sources with
// the project's TypeScript into node_modules/.cache, where bare imports still resolve.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './harness.js';

// All of the controller's sources, not a list of the local cluster's: any module it imports, now or later,
// must be there for the child process.
const SOURCE_ROOT = 'controller/src';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

let built: string | undefined;

/** Transpile once per test file; returns the directory that mirrors the repository layout. */
export function buildForChildProcess(): string {
  if (built) return built;
  const out = join(REPO_ROOT, 'node_modules', '.cache', 'vigil-local-cluster-tests', String(process.pid));
  for (const file of sourceFiles(join(REPO_ROOT, SOURCE_ROOT))) {
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
  built = out;
  return out;
}

/** Remove what buildForChildProcess wrote. */
export function removeChildBuild(): void {
  if (built) rmSync(built, { recursive: true, force: true });
  built = undefined;
}
