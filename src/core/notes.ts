/**
 * What a read of the process table could not show, said rather than hidden: processes that
 * exist but are not readable (hidepid=1, another user's), processes left out because their
 * /proc files are damaged, and a procfs that hides other users' processes altogether.
 */
import { escapeText } from './format';
import type { DamagedProcess, Snapshot } from './model';

/** The `unreadable`, `damaged` (and, when known, `hidden`) fields of `tree --json` and `zombies --json`. */
export function readIssuesJson(s: Snapshot): { unreadable: number; damaged: DamagedProcess[]; hidden?: string } {
  return { unreadable: s.unreadable ?? 0, damaged: s.damaged ?? [], ...(s.hidden ? { hidden: s.hidden } : {}) };
}

const MAX_NAMED = 5;

/** Lines for stderr in text mode (none when everything was read). */
export function readIssuesText(s: Snapshot): string[] {
  const out: string[] = [];
  const n = s.unreadable ?? 0;
  if (n > 0) out.push(`${n} process${n === 1 ? '' : 'es'} could not be read (hidepid? another user's processes?): not shown`);
  const d = s.damaged ?? [];
  if (d.length) {
    const named = d.slice(0, MAX_NAMED).map((x) => `PID ${x.pid}: ${escapeText(x.reason)}`);
    out.push(`${d.length} process${d.length === 1 ? '' : 'es'} skipped, their /proc files damaged (${named.join('; ')}${d.length > MAX_NAMED ? `; … ${d.length - MAX_NAMED} more (--json lists all)` : ''})`);
  }
  if (s.hidden) out.push(`this procfs is mounted with ${s.hidden}: other users' processes are not listed at all`);
  return out;
}
