// The Forge over GitHub's REST API (and the local forge, which speaks the same subset).
export {
  type AppIdentity,
  appCredentialsFromFile,
  appCredentialsFromSecret,
  CredentialError,
  ForgeCredentials,
  looksLikeCredential,
  STANDARD_INPUT,
  secretFromFile,
  tokenFromFile,
  tokenFromSecret,
} from './credentials.js';
export { EtagCache } from './etag-cache.js';
export {
  createGitHubForge,
  GitHubForge,
  type GitHubForgeOptions,
  type PullLike,
  toPullRequest,
} from './github-forge.js';
export { RateLimitGate } from './rate-limit.js';
export { redact } from './redact.js';
