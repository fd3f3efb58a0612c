/**
 * Diagnosis: one pass over a capture gathers facts (facts.ts), rules turn them into findings
 * (rules.ts), renderers print them (report.ts).
 *
 * @example
 * const facts = await collectFacts('case.pcap');
 * console.log(renderText(diagnose(facts), [facts], 'en', false));
 */
export { collectFacts, type CaptureFacts } from './facts.js';
export { diagnose, diagnoseAcross, diagnoseComparison, hopsOf, sortFindings } from './rules.js';
export { diagnoseAll, diagnoseCapture, tellStories, type Story, type TimelineEntry } from './story.js';
export { matchCaptures, compareIndexes, indexCapture, type Comparison, type CaptureIndex, type NatMapping, type ClockOffset } from './compare.js';
export { diagnoseFiles, type DiagnoseFilesOptions } from './parallel.js';
export { renderMarkdown, renderText, toJson, writeJson, SCHEMA_VERSION } from './report.js';
export type { Finding, Lang, Severity } from './finding.js';
