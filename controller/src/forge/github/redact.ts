// Scrub credentials from any text that may reach a log line, a condition message or an error: the exact secrets
// this client holds, and anything shaped like a GitHub token, a JWT or a private key, wherever it came from.

const PATTERNS: [RegExp, string][] = [
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    '[REDACTED PRIVATE KEY]',
  ],
  [/\b(gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,})\b/g, '[REDACTED]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, '[REDACTED]'],
  [/\b(token|bearer|basic)\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\b(access_token|client_secret|password)=[^&\s]+/gi, '$1=[REDACTED]'],
];

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Short strings would scrub ordinary words; no real credential is this short.
    if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
