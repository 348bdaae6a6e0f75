import { describe, expect, it } from 'vitest';
import { compileTemplate, paginate, Router } from './routes.js';

const handle = async () => ({ status: 200 });

describe('Router', () => {
  const router = new Router();
  router.add(
    { method: 'GET', template: '/repos/{owner}/{repo}/branches/{branch}', handle },
    { method: 'GET', template: '/repos/{owner}/{repo}/branches/{branch}/protection', handle },
    { method: 'GET', template: '/repos/{owner}/{repo}/contents/{path}', handle },
    { method: 'GET', template: '/repos/{owner}/{repo}/git/ref/{ref}', handle },
  );

  it('decodes parameters octokit percent-encodes, and takes slashes in a path or ref', () => {
    expect(router.match('GET', '/repos/o/r/contents/a%2Fb%2Fc.yaml')).toMatchObject({
      params: { path: 'a/b/c.yaml' },
    });
    expect(router.match('GET', '/repos/o/r/contents/a/b/c.yaml')).toMatchObject({
      params: { path: 'a/b/c.yaml' },
    });
    expect(router.match('GET', '/repos/o/r/git/ref/heads/vigil/promote/x')).toMatchObject({
      params: { ref: 'heads/vigil/promote/x' },
    });
  });

  it('prefers the more specific template', () => {
    expect(router.match('GET', '/repos/o/r/branches/main/protection').route?.template).toBe(
      '/repos/{owner}/{repo}/branches/{branch}/protection',
    );
    expect(router.match('GET', '/repos/o/r/branches/main').route?.template).toBe(
      '/repos/{owner}/{repo}/branches/{branch}',
    );
  });

  it('tells a known path with another method from an unknown path', () => {
    expect(router.match('DELETE', '/repos/o/r/branches/main')).toEqual({ pathKnown: true });
    expect(router.match('GET', '/nowhere')).toEqual({ pathKnown: false });
  });

  it('compiles templates with their literal segment count', () => {
    expect(compileTemplate('/orgs/{org}/teams/{team_slug}')).toMatchObject({
      names: ['org', 'team_slug'],
      literals: 2,
    });
  });
});

describe('paginate', () => {
  const items = Array.from({ length: 7 }, (_, i) => i + 1);

  it('gives a page and GitHub Link relations', () => {
    const url = new URL('http://127.0.0.1:1/repos/o/r/pulls?state=all&per_page=3&page=2');
    const { items: page, link } = paginate(items, url);
    expect(page).toEqual([4, 5, 6]);
    expect(link).toBe(
      '<http://127.0.0.1:1/repos/o/r/pulls?state=all&per_page=3&page=1>; rel="prev", ' +
        '<http://127.0.0.1:1/repos/o/r/pulls?state=all&per_page=3&page=3>; rel="next", ' +
        '<http://127.0.0.1:1/repos/o/r/pulls?state=all&per_page=3&page=3>; rel="last", ' +
        '<http://127.0.0.1:1/repos/o/r/pulls?state=all&per_page=3&page=1>; rel="first"',
    );
  });

  it('sends no Link header for a single page, and caps per_page at 100', () => {
    expect(paginate(items, new URL('http://h/x'))).toEqual({ items });
    expect(
      paginate(
        Array.from({ length: 150 }, (_, i) => i),
        new URL('http://h/x?per_page=500'),
      ).items,
    ).toHaveLength(100);
  });
});
