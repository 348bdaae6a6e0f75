import { describe, expect, it } from 'vitest';
import { redact } from './redact.js';

// Built at run time so the source holds nothing shaped like a real credential.
const classic = `gh${'p'}_${'A1b2C3d4'.repeat(5)}`;
const installation = `gh${'s'}_${'Z9y8X7w6'.repeat(5)}`;
const jwt = `eyJ${'hbGciOiJSUzI1NiJ9'}.${'eyJpc3MiOiIxMjMifQ'}.${'c2lnbmF0dXJl'}`;

describe('redact', () => {
  it('removes the exact secrets it is given', () => {
    expect(redact('failed with my-very-secret-token inside', ['my-very-secret-token'])).toBe(
      'failed with [REDACTED] inside',
    );
  });

  it.each([
    ['a classic token', `token ${classic}`, 'token [REDACTED]'],
    ['an installation token', `saw ${installation}.`, 'saw [REDACTED].'],
    ['a JWT', `Authorization: bearer ${jwt}`, 'Authorization: bearer [REDACTED]'],
    ['a URL credential', 'https://x/?access_token=abc123def', 'https://x/?access_token=[REDACTED]'],
    [
      'a private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      '[REDACTED PRIVATE KEY]',
    ],
  ])('removes anything shaped like %s', (_what, text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    expect(redact('GET /repos/northwind-health/ai-deployments/pulls -> 404: Not Found')).toBe(
      'GET /repos/northwind-health/ai-deployments/pulls -> 404: Not Found',
    );
  });
});
