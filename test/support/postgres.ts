// A real PostgreSQL server for tests: Debian's postgresql package (.ci/run installs it), a new cluster in a
// temporary directory, listening on 127.0.0.1 at a free port and on a socket in that directory, trusting local
// connections as the user "postgres". Stopped and removed by stop().
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The directory of initdb, pg_ctl and psql, newest version first; undefined when PostgreSQL is not installed. */
export const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, 'bin'))
    .find((d) => ['initdb', 'pg_ctl', 'psql'].every((bin) => existsSync(path.join(d, bin))));
})();

const asRoot = process.getuid?.() === 0;

/**
 * Whether a server can start here: the binaries exist and, as root, the postgres user the Debian package creates
 * (PostgreSQL refuses to run as root). Tests skip without it outside CI; in CI (CI set) they run and fail instead.
 */
export const POSTGRES_RUNNABLE =
  PG_BIN !== undefined && (!asRoot || spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0);

export interface PostgresServer {
  host: string;
  port: number;
  /** The database to connect to: "postgres". */
  database: string;
  /** The user to connect as, trusted without a password: "postgres". */
  user: string;
  /** Run SQL (psql's meta-commands such as \copy too) and return psql's unaligned output, "|"-separated. */
  psql(sql: string): string;
  stop(): void;
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  if (!PG_BIN) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const bin = (name: string) => path.join(PG_BIN!, name);
  const asServer = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
      : execFileSync(cmd, args, { stdio: 'pipe' });
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-pg-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  let started = false;
  try {
    asServer(bin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const port = await freePort();
    asServer(bin('pg_ctl'), [
      '-D',
      data,
      '-o',
      `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      '-l',
      path.join(dir, 'log'),
      'start',
    ]);
    started = true;
    const psql = (sql: string) => {
      const r = spawnSync(
        bin('psql'),
        [
          '-h',
          dir,
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          'postgres',
          '-X',
          '-At',
          '-F',
          '|',
          '-v',
          'ON_ERROR_STOP=1',
        ],
        { input: sql, encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout;
    };
    return {
      host: '127.0.0.1',
      port,
      database: 'postgres',
      user: 'postgres',
      psql,
      stop() {
        try {
          asServer(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (started) {
      try {
        asServer(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
