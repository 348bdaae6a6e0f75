export { type PhiScanOptions, scanForPhi } from './guard.js';
export { DEFAULT_MRN_PATTERNS } from './patterns.js';
