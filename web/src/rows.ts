// Paged packet rows: the browser never holds the whole capture, only the pages near what is on screen.
import { api, type Row } from './api';

export const PAGE = 200;
const KEEP_PAGES = 60;

export class RowStore {
  private pages = new Map<number, Row[]>();
  private pending = new Set<number>();
  private generation = 0;
  total = 0;
  complete = false;
  error: string | null = null;

  constructor(readonly captureId: string, readonly viewId: string | null, private onChange: () => void) {}

  get(i: number): Row | undefined {
    const p = this.pages.get(Math.floor(i / PAGE));
    return p?.[i % PAGE];
  }

  /** Loads the pages covering rows [from, to). */
  ensure(from: number, to: number): void {
    const first = Math.max(0, Math.floor(from / PAGE));
    const last = Math.floor(Math.max(from, to - 1) / PAGE);
    for (let p = first; p <= last; p++) {
      if (this.pages.has(p) || this.pending.has(p)) continue;
      if (p > 0 && p * PAGE >= this.total && this.total > 0) continue;
      void this.load(p);
    }
  }

  private async load(p: number): Promise<void> {
    this.pending.add(p);
    const gen = this.generation;
    try {
      const r = await api.frames(this.captureId, p * PAGE, PAGE, this.viewId);
      if (gen !== this.generation) return;
      this.total = r.total;
      this.complete = r.complete;
      this.error = null;
      // A page that is not full is still growing (live capture, view being computed): keep it only while nothing newer is known.
      this.pages.set(p, r.rows);
      if (this.pages.size > KEEP_PAGES) {
        for (const k of this.pages.keys()) { if (this.pages.size <= KEEP_PAGES) break; if (Math.abs(k - p) > 4) this.pages.delete(k); }
      }
    } catch (e) {
      if (gen === this.generation) this.error = e instanceof Error ? e.message : String(e);
    } finally {
      this.pending.delete(p);
      if (gen === this.generation) this.onChange();
    }
  }

  /** New total known (live capture or view progress): partial pages are fetched again. */
  grow(total: number, complete: boolean): void {
    if (total === this.total && complete === this.complete) return;
    this.total = total;
    this.complete = complete;
    for (const [k, rows] of this.pages) if (rows.length < PAGE) this.pages.delete(k);
    this.onChange();
  }

  async first(): Promise<void> {
    await this.load(0);
  }

  dispose(): void { this.generation++; this.pages.clear(); }
}
