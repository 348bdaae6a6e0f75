// The audit record (flow 6): read (sources), assemble (report), render (Markdown, HTML, JSON).
export { type AuditPeriod, inPeriod, overlapsPeriod, parsePeriod } from './period.js';
export { renderHtml } from './render-html.js';
export { renderMarkdown } from './render-md.js';
export {
  type AuditInputs,
  type AuditReport,
  assembleAuditReport,
  type PromotionRecord,
  type UseCaseSection,
} from './report.js';
export { readAuditInputs } from './sources.js';
