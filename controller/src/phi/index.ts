export { type PhiScanOptions, scanForPhi } from './guard.js';
export { LAST_APPLIED, plainDocument, scanObjectForPhi, writtenPart } from './objects.js';
export { DEFAULT_MRN_PATTERNS } from './patterns.js';
