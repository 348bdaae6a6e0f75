import { expect, it } from 'vitest';
import { signatureFor } from './webhooks.js';

it('signs webhook bodies as GitHub documents (its published example)', () => {
  expect(signatureFor("It's a Secret to Everybody", 'Hello, World!')).toBe(
    'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  );
});
