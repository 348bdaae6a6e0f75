// What the poll finds without webhooks: a team whose members changed, and a pull request GitHub did not answer
// for. The forge is a stand-in answering only what these read.
import { describe, expect, it } from 'vitest';
import { type Forge, ForgeUnavailableError, NotFoundError, type PullRequest } from '../forge/forge.js';
import { TeamMembershipWatch } from './discovery.js';
import { type PollTarget, SignoffPoller } from './poller.js';

const down = () =>
  new ForgeUnavailableError(
    'GET',
    'GitHub unavailable',
    new Date('2026-03-02T12:04:00Z'),
    'unavailable',
    502,
  );

describe('TeamMembershipWatch', () => {
  it('reports the teams whose members changed since the last look, a team gone included', async () => {
    const members: Record<string, string[] | 'missing' | 'down'> = {
      'org/data-science': ['ds-lead', 'ds-2'],
      'org/compliance': ['compliance-1'],
    };
    const forge = {
      teamMembers: async (org: string, team: string) => {
        const found = members[`${org}/${team}`];
        if (found === 'missing' || found === undefined) throw new NotFoundError('GET', 'Not Found', 404);
        if (found === 'down') throw down();
        return found;
      },
    } as unknown as Forge;
    const watch = new TeamMembershipWatch({
      forge,
      teams: () => ['org/data-science', 'org/compliance', 'bad'],
    });
    expect(await watch.poll()).toEqual({ changed: [] });
    expect(await watch.poll()).toEqual({ changed: [] });
    members['org/data-science'] = ['ds-2', 'ds-lead'];
    expect(await watch.poll()).toEqual({ changed: [] });
    members['org/data-science'] = ['ds-lead'];
    members['org/compliance'] = 'missing';
    expect(await watch.poll()).toEqual({ changed: ['org/data-science', 'org/compliance'] });
    // GitHub not answering is not a change: the look stops until it answers; evaluations fail closed on their own.
    members['org/data-science'] = 'down';
    expect(await watch.poll()).toEqual({ changed: [], pausedUntil: new Date('2026-03-02T12:04:00Z') });
    members['org/data-science'] = ['ds-lead'];
    expect(await watch.poll()).toEqual({ changed: [] });
  });
});

describe('SignoffPoller', () => {
  it('hands over a pull request it could not read (a 5xx) and goes on with the others', async () => {
    const pr = (number: number) =>
      ({ number, head: { sha: `h${number}` }, base: { ref: 'main' } }) as PullRequest;
    const forge = {
      getPullRequest: async (_repo: string, number: number) => {
        if (number === 1) throw down();
        return pr(number);
      },
      listReviews: async () => [],
    } as unknown as Forge;
    const targets: PollTarget[] = [
      { repository: 'org/repo', number: 1 },
      { repository: 'org/repo', number: 2 },
    ];
    const changed: number[] = [];
    const unreadable: number[] = [];
    const poller = new SignoffPoller({
      forge,
      targets: () => targets,
      onChange: (t) => {
        changed.push(t.number);
      },
      onUnreadable: (t) => {
        unreadable.push(t.number);
      },
    });
    const result = await poller.poll();
    expect(result.polled).toBe(1);
    expect(result.pausedUntil).toBeUndefined();
    expect(changed).toEqual([2]);
    expect(unreadable).toEqual([1]);
    // Read afresh the next time: once it answers it counts as changed and is evaluated.
    expect((await poller.poll()).unreadable).toEqual([{ repository: 'org/repo', number: 1 }]);
  });
});
