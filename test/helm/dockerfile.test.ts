// The controller image's Dockerfile, read as a reviewer would: there is no container engine here to build it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './chart.js';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    pending += pending ? ` ${line}` : line;
    if (pending.endsWith('\\')) {
      pending = pending.slice(0, -1).trimEnd();
      continue;
    }
    const match = /^(\S+)\s*(.*)$/.exec(pending);
    if (match) out.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
    pending = '';
  }
  return out;
}

function stagesOf(all: Instruction[]): { globalArgs: Map<string, string>; stages: Stage[] } {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      const resolved = image!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => globalArgs.get(a ?? b) ?? '');
      stages.push({ from: resolved, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key, value] = instruction.args.split('=');
      globalArgs.set(key!, value ?? '');
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const { stages } = stagesOf(instructions(dockerfile));
const build = stages[0]!;
const runtime = stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

describe('Dockerfile', () => {
  it('builds in a Node 20 stage and runs in a minimal one', () => {
    expect(stages).toHaveLength(2);
    expect(build.from).toMatch(/^node:20[.\d]*-bookworm-slim(@sha256:[a-f0-9]{64})?$/);
    expect(build.name).toBe('build');
    expect(runtime.from).toMatch(
      /^(gcr\.io\/distroless\/nodejs20-debian12:nonroot|node:20[.\d]*-(bookworm-)?slim)(@sha256:[a-f0-9]{64})?$/,
    );
  });

  it('names a version or digest for every base image, never latest', () => {
    for (const stage of stages) {
      expect(stage.from).toMatch(/[:@]/);
      expect(stage.from).not.toMatch(/:latest($|@)/);
    }
  });

  it('installs exactly from the lockfile, builds, and drops development dependencies', () => {
    const runs = of(build, 'RUN')
      .map((i) => i.args)
      .join(' && ');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build\b/);
    expect(runs).toMatch(/npm prune --omit=dev\b/);
    expect(runs.indexOf('npm ci')).toBeLessThan(runs.indexOf('npm run build'));
    expect(runs.indexOf('npm run build')).toBeLessThan(runs.indexOf('npm prune'));
    expect(of(build, 'COPY').map((i) => i.args)).toContain('package.json package-lock.json ./');
  });

  it('copies only the runtime files into the image', () => {
    const copies = of(runtime, 'COPY').map((i) => i.args);
    expect(copies.every((c) => c.startsWith('--from=build '))).toBe(true);
    const sources = copies.map((c) => c.split(/\s+/)[1]).sort();
    expect(sources).toEqual(['/app/bin', '/app/crd', '/app/dist', '/app/node_modules', '/app/package.json']);
    expect(of(runtime, 'ADD')).toEqual([]);
  });

  it('runs as the non-root user 65532', () => {
    const users = of(runtime, 'USER').map((i) => i.args);
    expect(users.at(-1)).toMatch(/^65532(:65532)?$/);
  });

  it('starts the CLI with the controller command by default', () => {
    const entrypoint = JSON.parse(of(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint).toHaveLength(2);
    expect(entrypoint[0]).toMatch(/(^|\/)node$/);
    expect(entrypoint[1]).toBe('bin/vigil.js');
    expect(JSON.parse(of(runtime, 'CMD').at(-1)!.args)).toEqual(['controller']);
  });

  it('carries the OCI labels and no credentials', () => {
    const labels = of(runtime, 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'licenses', 'source']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    const env = stages.flatMap((s) => of(s, 'ENV').map((i) => i.args)).join(' ');
    expect(env).not.toMatch(/TOKEN|SECRET|PASSWORD|KEY=/i);
  });
});

describe('.dockerignore', () => {
  const lines = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('starts from nothing and lets in only the build inputs', () => {
    expect(lines[0]).toBe('**');
    const allowed = lines.filter((l) => l.startsWith('!')).sort();
    expect(allowed).toEqual([
      '!bin/**',
      '!controller/**',
      '!crd/**',
      '!package-lock.json',
      '!package.json',
      '!specs/**',
      '!tsconfig.build.json',
      '!tsconfig.json',
    ]);
  });

  it('lets in everything the Dockerfile copies from the context', () => {
    const fromContext = of(build, 'COPY')
      .filter((i) => !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of fromContext) {
      expect(
        lines.some((l) => l === `!${source}` || l === `!${source}/**`),
        source,
      ).toBe(true);
    }
  });
});
