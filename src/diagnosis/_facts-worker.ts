/**
 * Worker thread of `parallel.ts`: one capture's facts pass and its single-capture rules. The
 * fingerprint columns (the bulk of the result) are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileFilter } from '../filter/index.js';
import { collectFacts } from './facts.js';
import { flatten, type WorkerRequest, type WorkerResult } from './parallel.js';
import { diagnoseCapture } from './story.js';

const request = workerData as WorkerRequest;
const port = parentPort!;
try {
  const filter = request.filter !== undefined ? compileFilter(request.filter) : undefined;
  const facts = await collectFacts(request.file, { progress: (n) => port.postMessage({ progress: n }), fingerprint: request.fingerprint, filter, keepHealthy: false });
  const result: WorkerResult = { facts, findings: diagnoseCapture(facts) };
  const ix = facts.index;
  const transfer = ix ? [ix.frame, ix.time, ix.ttl, ix.flags, ix.flow, ix.raw, ix.rel].map((a) => a.buffer as ArrayBuffer) : [];
  port.postMessage({ result }, transfer);
} catch (e) {
  port.postMessage({ error: flatten(e) });
}
