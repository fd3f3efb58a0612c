/**
 * The facts passes of several captures at once: each capture is read in its own worker thread
 * (`_facts-worker.ts`), which gathers its facts (fingerprints included) and runs the
 * single-capture rules on them; the main thread then compares the captures and tells the
 * stories. Captures are independent until they are compared, so on a machine with two cores
 * `wiresage doctor client.pcap server.pcap` takes about the time of the longer pass plus the
 * comparison instead of the sum. The result is the one `diagnoseAll` gives on facts collected
 * one after the other (the same facts, rules and order; doctor.test.ts checks it byte for byte).
 *
 * Memory: each worker holds one capture's live connections, as the single-capture pass does
 * (with a smaller young generation, WORKER_YOUNG_MB); at most `availableParallelism()` captures
 * are read at once. The fingerprint columns move to
 * the main thread without a copy (transferred ArrayBuffers).
 *
 * @example
 * const { all, findings, stories } = await diagnoseFiles(['client.pcap', 'server.pcap']);
 * console.log(renderText(findings, all, 'en', false, stories));
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CaptureFileError } from '../file/types.js';
import type { CompiledFilter } from '../filter/index.js';
import { prepareMatching } from './compare.js';
import { collectFacts, type CaptureFacts } from './facts.js';
import type { Finding } from './finding.js';
import { diagnoseAll, diagnoseCapture, type Story } from './story.js';

export interface DiagnoseFilesOptions {
  /** Frames read so far in one of the files (called from the main thread). */
  progress?: (file: string, frames: number) => void;
  /** A display filter (`-Y`): compiled in each worker from its text. */
  filter?: CompiledFilter;
  /**
   * Worker threads to read the captures in (default: as many as cores, at most one per file).
   * 0 reads them one after the other on this thread; a single capture (or standard input, `-`)
   * is always read here.
   */
  workers?: number;
}

/** What a worker sends back: the facts (fingerprint columns transferred) and its capture's findings. */
export interface WorkerResult {
  facts: CaptureFacts;
  findings: Finding[];
}

/** An error as it crosses the thread boundary. */
export interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  offset?: number;
  path?: string;
}

/** The request a worker receives (`workerData`). */
export interface WorkerRequest {
  file: string;
  filter?: string;
  fingerprint: boolean;
}

/** Facts of every file, every rule (single-capture and across captures), and the stories. */
export async function diagnoseFiles(files: string[], opts: DiagnoseFilesOptions = {}): Promise<{ all: CaptureFacts[]; findings: Finding[]; stories: Story[] }> {
  const fingerprint = files.length > 1;
  const workers = Math.min(files.length, opts.workers ?? availableParallelism());
  if (files.length < 2 || workers < 1 || files.includes('-')) {
    const all: CaptureFacts[] = [];
    for (const file of files) {
      all.push(await collectFacts(file, { progress: opts.progress && ((n) => opts.progress!(file, n)), fingerprint, filter: opts.filter, keepHealthy: false }));
    }
    return { all, ...diagnoseAll(all) };
  }
  const results: Array<Promise<WorkerResult>> = [];
  let index = 0;
  // A pool of `workers` threads: each file starts when an earlier one is done.
  let running: Array<Promise<unknown>> = [];
  for (const file of files) {
    if (running.length >= workers) await Promise.race(running);
    const r = inWorker({ file, filter: opts.filter?.text, fingerprint }, opts.progress);
    // Every capture after the first is the B side of a comparison: its lookup tables are built
    // here as soon as it arrives, while the others are still being read.
    if (index++ > 0) r.then((d) => d.facts.index && prepareMatching(d.facts.index), () => {});
    results.push(r);
    const done: Promise<unknown> = r.then(() => {}, () => {}).then(() => {
      running = running.filter((x) => x !== done);
    });
    running.push(done);
  }
  // Errors in file order, as reading one after the other reports them.
  const settled = await Promise.allSettled(results);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  const done = settled.map((s) => (s as PromiseFulfilledResult<WorkerResult>).value);
  const all = done.map((d) => d.facts);
  return { all, ...diagnoseAll(all, done.map((d) => d.findings)) };
}

/**
 * Young generation of each worker's heap. Two passes run at once, each with V8's default young
 * generation (tens of MB, mostly short-lived packet objects): a smaller one keeps the peak of
 * `doctor A B` on two 1M-packet captures about 70 MB lower at no measurable CPU cost.
 */
const WORKER_YOUNG_MB = 8;

function inWorker(request: WorkerRequest, progress?: (file: string, frames: number) => void): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./_facts-worker.js', import.meta.url), { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
    let result: WorkerResult | undefined;
    let failure: Error | undefined;
    worker.on('message', (m: { progress?: number; result?: WorkerResult; error?: WorkerError }) => {
      if (m.progress !== undefined) progress?.(request.file, m.progress);
      else if (m.result) result = m.result;
      else if (m.error) failure = revive(m.error);
    });
    worker.on('error', (e) => (failure ??= e));
    worker.on('exit', (code) => {
      if (result) resolve(result);
      else reject(failure ?? new Error(`The facts pass over ${request.file} stopped (worker exit code ${code})`));
    });
  });
}

/** The error the same pass would have thrown on this thread (the CLI maps CaptureFileError and ENOENT to exit 1). */
function revive(e: WorkerError): Error {
  const err = e.name === 'CaptureFileError' ? new CaptureFileError(e.message, e.offset, e.path) : new Error(e.message);
  if (e.name !== 'CaptureFileError') err.name = e.name;
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** The other side of {@link revive}. */
export function flatten(e: unknown): WorkerError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const x = e as Error & { code?: string; offset?: number; path?: string };
  return { name: x.name, message: x.message, stack: x.stack, code: typeof x.code === 'string' ? x.code : undefined, offset: x.offset, path: x.path };
}

export { diagnoseCapture };
