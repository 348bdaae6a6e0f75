// GitHub App authentication: an App proves itself with a JSON Web Token signed (RS256) by its private key,
// checked here against the public key its seed gives, and exchanges it for an hour-long installation token
// (POST /app/installations/{installation_id}/access_tokens), which then acts as `<slug>[bot]`. This is the
// exchange @octokit/auth-app makes; seed Apps also have a long-lived token for development.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { ForgeError, forbidden, notFound } from './errors.js';
import type { Forge } from './forge.js';
import { iso } from './representations.js';
import type { Route } from './routes.js';
import type { AppRecord, ForgeState } from './state.js';

const ACCESS_TOKENS_DOC =
  'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app';
/** GitHub refuses a JWT that lives longer than ten minutes. */
const MAX_JWT_SECONDS = 600;
/** Installation tokens expire after an hour. */
const INSTALLATION_TOKEN_SECONDS = 3600;

const b64json = (part: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The App a JWT proves, or why it does not (GitHub's 401 wording): an RS256 signature by the private key of
 * the App named in `iss` (its id), issued no later than now and expiring within ten minutes. Pure: the App
 * lookup and the clock are given.
 */
export function verifyAppJwt(
  jwt: string,
  appById: (id: number) => AppRecord | undefined,
  nowSeconds: number,
): { app: AppRecord } | { error: string } {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { error: 'A JSON web token could not be decoded' };
  const [headerPart = '', payloadPart = '', signature = ''] = parts;
  const header = b64json(headerPart);
  const payload = b64json(payloadPart);
  if (!header || !payload) return { error: 'A JSON web token could not be decoded' };
  if (header.alg !== 'RS256') return { error: "'alg' must be RS256" };
  const app = appById(Number(payload.iss));
  if (!app?.publicKey) return { error: 'Integration not found' };
  let valid = false;
  try {
    valid = verify(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      createPublicKey(app.publicKey),
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    valid = false;
  }
  if (!valid) return { error: 'A JSON web token could not be decoded' };
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number')
    return { error: "'Issued at' and 'Expiration time' claims must be numeric values" };
  // A minute of clock skew, as GitHub tolerates.
  if (iat > nowSeconds + 60)
    return { error: "'Issued at' claim ('iat') must be an Integer representing a time in the past" };
  if (exp <= nowSeconds) return { error: "'Expiration time' claim ('exp') is too far in the past" };
  if (exp - iat > MAX_JWT_SECONDS)
    return { error: "'Expiration time' claim ('exp') is too far in the future" };
  return { app };
}

/** A fresh installation token for the App, registered with the forge until it expires. */
export function mintInstallationToken(
  state: ForgeState,
  app: AppRecord,
): { token: string; expiresAt: number } {
  const token = `ghs_${randomBytes(27).toString('base64url')}`;
  const expiresAt = state.nowSeconds() + INSTALLATION_TOKEN_SECONDS;
  state.addToken(token, app.bot, expiresAt);
  return { token, expiresAt };
}

export function appRoutes(forge: Forge): Route[] {
  const { state } = forge;
  return [
    {
      method: 'POST',
      template: '/app/installations/{installation_id}/access_tokens',
      handle: async (ctx) => {
        // Only the App itself, authenticated by its JWT, may mint tokens for its installation.
        const app = ctx.user.app;
        if (!app || !ctx.user.viaJwt) {
          throw new ForgeError(401, 'A JSON web token could not be decoded', ACCESS_TOKENS_DOC);
        }
        if (String(app.installationId) !== ctx.params.installation_id) throw notFound(ACCESS_TOKENS_DOC);
        const { token, expiresAt } = mintInstallationToken(state, app);
        return {
          status: 201,
          body: {
            token,
            expires_at: iso(expiresAt),
            permissions: { ...app.permissions },
            repository_selection: 'all',
          },
        };
      },
    },
  ];
}

/** A JWT opens only the App's own endpoints (/app/...): everything else needs an installation token. */
export function refuseJwtOutsideApp(template: string | undefined, viaJwt: boolean | undefined): void {
  if (viaJwt && !template?.startsWith('/app')) {
    throw forbidden('A JSON web token cannot be used here: authenticate with an installation token.');
  }
}
