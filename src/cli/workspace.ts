/**
 * `zombies --workspace DIR`: each zombie linked to the line of DIR's source that spawned it.
 *
 * The zombie gives its pid, ppid and comm; its parent (alive, or init would have reaped the
 * zombie) gives its exe and cmdline, which inspect() reads for every zombie parent. linkZombie
 * weighs that evidence against the workspace's spawn sites and answers with a site or nothing.
 */
import type { Diagnosis } from '../core/diagnose';
import { escapeText } from '../core/format';
import type { SpawnSiteNote } from '../core/format';
import type { Snapshot } from '../core/model';
import { cacheDirFor, type CommandIO, indexWithCache, progressLine, siteJson, skippedText } from '../spawnsites/command';
import { SpawnSiteIndex } from '../spawnsites/index';
import { linkZombie, type SiteLink } from '../spawnsites/link';
import { recordFiles } from '../record/dir';
import { RecordSet } from '../record/log';
import { resolveNativeFrames } from '../record/native';
import { bestRecordedSite, recordedReason } from '../record/site';

// Checked before anything is read, without loading the spawn-site engine (see workspaceCheck.ts).
export { checkWorkspace, WorkspaceError } from './workspaceCheck';
import { WorkspaceError } from './workspaceCheck';

/** Indexes the spawn sites of a directory checkWorkspace() accepted (`dir` as the user wrote it, for messages). */
export async function indexWorkspace(root: string, dir = root, opts: { noCache?: boolean; warn?: (message: string) => void; progress?: CommandIO['progress'] } = {}): Promise<SpawnSiteIndex> {
  try {
    let built;
    try {
      built = await indexWithCache(root, cacheDirFor(opts.noCache), { onProgress: progressLine(opts.progress) });
    } finally {
      opts.progress?.(undefined);
    }
    for (const w of built.warnings) opts.warn?.(escapeText(w));
    for (const line of skippedText(built.index.skipped(), root)) opts.warn?.(line);
    return built.index;
  } catch (e) {
    throw new WorkspaceError(`cannot index --workspace ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A link as the CLI prints it: the file relative to `root` with forward slashes, as `sites --json` has it. */
export function spawnSiteNote(link: SiteLink, root: string): SpawnSiteNote {
  const s = siteJson(link.site, root);
  return { file: s.file, line: s.line, column: s.column, language: s.language, api: s.api, confidence: link.confidence, reason: link.reason };
}

/**
 * Every zombie's spawn site in the workspace, ready for zombiesJson / renderZombies: its record
 * when a recorder wrote one (the program ran under `process-inspector run` or a debug session of
 * the extension), else what the index infers.
 */
export function spawnSites(snapshot: Snapshot, diagnosis: Diagnosis, index: SpawnSiteIndex, records: RecordSet = recordsOfThisBoot()): Map<number, SpawnSiteNote | undefined> {
  const root = index.root!;
  const out = new Map<number, SpawnSiteNote | undefined>();
  const rel = (f: string) => (f.startsWith(`${root}/`) ? f.slice(root.length + 1) : f);
  for (const z of diagnosis.zombies) {
    const best = records.size ? bestRecordedSite(records.findAll(z), [root], resolveNativeFrames) : undefined;
    if (best) {
      const { record: rec, site } = best;
      const known = index.siteAt(site.file, site.line);
      out.set(z.pid, {
        file: rel(site.file),
        line: site.line,
        column: known?.column ?? site.column,
        language: known?.language ?? site.lang,
        api: known?.api ?? site.api,
        confidence: 'recorded',
        reason: recordedReason(rec, site, known?.api),
        stack: site.stack.map((f) => ({ file: rel(f.file), line: f.line, ...(f.function ? { function: f.function } : {}) })),
      });
      continue;
    }
    // Inferred only for a zombie without a record (a ProcessInfo is a ZombieRef and a ParentRef as it is).
    const link = linkZombie(z, snapshot.processes.get(z.ppid), index);
    out.set(z.pid, link ? spawnSiteNote(link, root) : undefined);
  }
  return out;
}

/** The record files of every run and debug session of this boot (src/record/dir.ts), read once. */
export function recordsOfThisBoot(): RecordSet {
  const set = new RecordSet();
  for (const f of recordFiles()) set.add(f);
  set.poll();
  return set;
}
