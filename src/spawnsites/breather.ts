/**
 * Time-slicing for the spawn-site index: it works in turns of the extension host's event loop.
 */

/**
 * The index runs in the extension host, which every extension shares: it gives the event loop a
 * turn once this many ms of work have passed, rather than every so many files (one big Go file
 * takes 10 ms or more to parse and analyse).
 */
const YIELD_AFTER_MS = 20;

/** Yields to the event loop when YIELD_AFTER_MS of work have passed since the last turn; keeps the longest stretch. */
export class Breather {
  private last = performance.now();
  longest = 0;

  async maybe(): Promise<void> {
    if (performance.now() - this.last >= YIELD_AFTER_MS) await this.now();
  }

  async now(): Promise<void> {
    this.end();
    await new Promise((r) => setImmediate(r));
    this.last = performance.now();
  }

  /** Closes the current stretch (at a yield, or at the end of the work). */
  end(): void {
    this.longest = Math.max(this.longest, performance.now() - this.last);
  }
}
