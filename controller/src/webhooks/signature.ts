// GitHub signs each delivery with HMAC-SHA256 of the raw body under the webhook secret. The signature is checked
// over the bytes as they arrived (a re-serialized body does not match) and compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';

/** Whether `header` (X-Hub-Signature-256) signs `body` under `secret`. A missing or malformed header is false. */
export function verifySignature(secret: string | Buffer, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  // A wrong length is refused before the comparison, which needs equal lengths; the length is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value for a body: for tests and tools that deliver by hand. */
export function signBody(secret: string | Buffer, body: string | Buffer): string {
  return `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}
