// Credentials go only to the host they were given with, or to one the operator lists.
import { describe, expect, it } from 'vitest';
import {
  DataHosts,
  databricksHostRefusal,
  parseHostList,
  postgresHostRefusal,
  urlRefusal,
} from './data-hosts.js';

const warehouse = { server: 'warehouse', host: 'db.internal', port: 5432 };

describe('parseHostList', () => {
  it('reads hosts, IP addresses and ports, and ignores spaces and empty entries', () => {
    expect(
      parseHostList(' DB.Internal:5432, lake.example.com.,,10.0.0.7,[::1]:5433', 'VIGIL_DATA_HOSTS'),
    ).toEqual([
      { host: 'db.internal', port: 5432 },
      { host: 'lake.example.com' },
      { host: '10.0.0.7' },
      { host: '::1', port: 5433 },
    ]);
  });

  it('names the entry and where it came from when it is not a host', () => {
    expect(parseHostList('db.internal,https://evil.example', '--data-host')).toEqual({
      error:
        '--data-host: "https://evil.example" is not a host or host:port (for example db.internal or db.internal:5432)',
    });
    expect(parseHostList('db:99999', 'VIGIL_DATA_HOSTS')).toMatchObject({
      error: expect.stringContaining('"db:99999"'),
    });
    expect(parseHostList('db internal', 'VIGIL_DATA_HOSTS')).toMatchObject({ error: expect.any(String) });
  });
});

describe('DataHosts', () => {
  it('allows a listed host on any port, or on the port listed', () => {
    const hosts = DataHosts.from({ VIGIL_DATA_HOSTS: 'db.internal,lake.example.com:443' });
    expect(hosts.allows('DB.internal', 6543)).toBe(true);
    expect(hosts.allows('lake.example.com', 443)).toBe(true);
    expect(hosts.allows('lake.example.com', 8443)).toBe(false);
    expect(hosts.allows('db.internal.evil.example')).toBe(false);
    expect(hosts.allows('evil.example')).toBe(false);
  });

  it('refuses a malformed VIGIL_DATA_HOSTS rather than allowing less or more than meant', () => {
    expect(() => DataHosts.from({ VIGIL_DATA_HOSTS: 'db.internal;evil.example' })).toThrow(
      'VIGIL_DATA_HOSTS: "db.internal;evil.example" is not a host or host:port',
    );
  });
});

describe('postgresHostRefusal', () => {
  const login = { PGUSER: 'vigil', PGPASSWORD: 'secret' };

  it('refuses to send the login to a host the contract names and nobody listed', () => {
    const refusal = postgresHostRefusal(
      { server: 'warehouse', host: 'collector.evil.example', port: 5432 },
      { ...login, PGHOST: 'db.internal' },
      DataHosts.none(),
    );
    expect(refusal).toBe(
      "server warehouse names host collector.evil.example:5432; the PostgreSQL login in this environment (PGUSER, PGPASSWORD) is sent only to PGHOST (db.internal) or a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is): list collector.evil.example there if it is your database",
    );
    expect(refusal).not.toContain('secret');
  });

  it('sends it to PGHOST, to a listed host, or where the contract names no host', () => {
    expect(
      postgresHostRefusal(warehouse, { ...login, PGHOST: 'DB.internal' }, DataHosts.none()),
    ).toBeUndefined();
    expect(
      postgresHostRefusal(warehouse, login, DataHosts.from({ VIGIL_DATA_HOSTS: 'db.internal:5432' })),
    ).toBeUndefined();
    expect(postgresHostRefusal({ server: 'warehouse' }, login, DataHosts.none())).toBeUndefined();
  });

  it('refuses a listed host on another port than the one listed', () => {
    const hosts = DataHosts.from({ VIGIL_DATA_HOSTS: 'db.internal:5432' });
    expect(postgresHostRefusal({ ...warehouse, port: 6000 }, login, hosts)).toMatch(
      /names host db\.internal:6000; .* \(db\.internal:5432\)/,
    );
  });

  it('has nothing to refuse when the environment holds no login', () => {
    expect(postgresHostRefusal(warehouse, {}, DataHosts.none())).toBeUndefined();
  });
});

describe('databricksHostRefusal', () => {
  const workspace = { DATABRICKS_HOST: 'https://adb-1.azuredatabricks.net/', DATABRICKS_TOKEN: 't' };

  it('sends the token to DATABRICKS_HOST however it is written, and nowhere else unless listed', () => {
    expect(
      databricksHostRefusal(
        { server: 'lake', host: 'adb-1.azuredatabricks.net' },
        workspace,
        DataHosts.none(),
      ),
    ).toBeUndefined();
    expect(databricksHostRefusal({ server: 'lake' }, workspace, DataHosts.none())).toBeUndefined();
    expect(
      databricksHostRefusal(
        { server: 'lake', host: 'https://token-catcher.example' },
        workspace,
        DataHosts.none(),
      ),
    ).toBe(
      "server lake names host token-catcher.example; DATABRICKS_TOKEN is sent only to DATABRICKS_HOST (https://adb-1.azuredatabricks.net/) or a host listed in VIGIL_DATA_HOSTS or the controller's --data-host (none is): list token-catcher.example there if it is your workspace",
    );
    expect(
      databricksHostRefusal(
        { server: 'lake', host: 'adb-2.azuredatabricks.net' },
        workspace,
        DataHosts.from({ VIGIL_DATA_HOSTS: 'adb-2.azuredatabricks.net' }),
      ),
    ).toBeUndefined();
  });
});

describe('urlRefusal', () => {
  const hosts = DataHosts.from({ VIGIL_DATA_HOSTS: 'files.example.org:443' });

  it('lets the controller fetch only from a listed host and port', () => {
    expect(urlRefusal('https://files.example.org/encounters.csv', hosts, 'server sample')).toBeUndefined();
    expect(urlRefusal('http://files.example.org/encounters.csv', hosts, 'server sample')).toMatch(
      /names host files\.example\.org/,
    );
    expect(urlRefusal('http://169.254.169.254/latest/meta-data/', hosts, 'server sample')).toBe(
      'server sample names host 169.254.169.254, which this controller does not reach: it reads only from a host listed in VIGIL_DATA_HOSTS (files.example.org:443)',
    );
    expect(urlRefusal('not a url', hosts, 'spec.prometheusUrl')).toBe(
      'spec.prometheusUrl "not a url" is not a URL',
    );
  });
});
