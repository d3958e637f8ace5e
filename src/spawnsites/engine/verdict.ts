/**
 * From what the walk learnt about a site to its verdict, in words a person can check against the
 * code: which lines started, waited for, handed on or lost the child, and the path that decides.
 *
 * Precision first: a site is `no` only when a path is seen on which the child is lost (or it is
 * kept in a cell that nothing in the program waits on and nothing outside can reach); anything
 * the walk could not follow makes it `unknown`, never `no`.
 */
import type { SourceRange, Waited } from '../types';
import type { CellFacts, Ev, External, Leak, SiteFacts, Summary } from './facts';
import { type CellIR, nodesIn, type ProgramIR, type SiteIR } from './ir';
import type { Step } from './state';
import { Walker } from './walk';

export interface Verdict {
  waited: Waited;
  leak?: 'always' | 'some-paths';
  reason: string;
  /** The path that decides the verdict: for `no`, from the start to where the child is lost. */
  path: Step[];
  /** Where the child is lost (for `no`): the finding's related locations. */
  losses: { at: SourceRange; message: string }[];
  facts: SiteFacts;
}

export interface Analysis {
  verdicts: Map<number, Verdict>;
  summaries: Map<string, Summary>;
  cells: Map<string, CellFacts>;
}

export interface AnalyzeOptions extends External {
  /** What other files do to a cell (Go: the package's other files). */
  cell?(name: string): CellFacts | undefined;
}

const line = (r: SourceRange) => `line ${r.startLine}`;

export function analyze(program: ProgramIR, opts: AnalyzeOptions = {}): Analysis {
  const w = new Walker(program, opts);
  w.run();
  const cellInfo = new Map<string, CellIR>((program.cells ?? []).map((c) => [c.name, c]));
  const verdicts = new Map<number, Verdict>();
  const definedOnly = new Map<string, string>();
  for (const f of program.functions) if (f.platform) definedOnly.set(f.key, f.platform);
  const home = w.cutCalls.size || definedOnly.size ? siteFunctions(program) : new Map<number, string>();
  for (const site of program.sites) {
    const facts = w.siteFacts(site.id);
    const fn = home.get(site.id);
    const only = fn === undefined ? undefined : (definedOnly.get(fn) ?? w.platformOnly(fn));
    if (only) {
      verdicts.set(site.id, { waited: 'yes', reason: `never runs where a child can become a zombie: ${only}`, path: [], losses: [], facts });
      continue;
    }
    const cellFacts = (name: string): CellFacts => {
      const local = w.cells.get(name) ?? { waits: [], kills: [], escapes: [] };
      const other = opts.cell?.(name);
      return other ? { waits: [...local.waits, ...other.waits], kills: [...local.kills, ...other.kills], escapes: [...local.escapes, ...other.escapes] } : local;
    };
    verdicts.set(site.id, decide(site, facts, cellFacts, cellInfo, w, opts));
  }
  return { verdicts, summaries: w.summaries, cells: w.cells };
}

/** The key of the function each site is in (the first, when two share a key). */
function siteFunctions(program: ProgramIR): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of program.functions) for (const n of nodesIn(f.body, 'spawn')) if (!out.has(n.site)) out.set(n.site, f.key);
  return out;
}

function decide(
  site: SiteIR,
  f: SiteFacts,
  cellFacts: (name: string) => CellFacts,
  cellInfo: Map<string, CellIR>,
  w: Walker,
  opts: AnalyzeOptions,
): Verdict {
  const base = { path: [] as Step[], losses: [] as Verdict['losses'], facts: f };
  if (f.unstructured) return { ...base, waited: 'unknown', reason: `${f.unstructured}: not followed` };
  if (!f.reached && f.platform) return { ...base, waited: 'yes', reason: `never runs where a child can become a zombie: ${f.platform}` };
  if (!f.reached) return { ...base, waited: 'unknown', reason: 'not reached by the analysis (no path of its function gets there)' };

  // What cells say about the children stored in them.
  const cellWaits: Ev[] = [];
  const cellUnknown: string[] = [];
  const cellLeaks: { cell: string; ev: Ev; facts: CellFacts }[] = [];
  for (const [cell, ev] of f.stores) {
    const cf = cellFacts(cell);
    const info = cellInfo.get(cell);
    const name = info?.words ?? cell.slice(1);
    if (cf.waits.length) cellWaits.push({ ...cf.waits[0], how: `${cf.waits[0].how} (through ${name})` });
    else if (cf.escapes.length) cellUnknown.push(`kept in ${name}, which is handed on at ${line(cf.escapes[0].at)} (${cf.escapes[0].how})`);
    else if (!info || info.exported) cellUnknown.push(`kept in ${name}, ${info?.unjudged ?? 'which code outside this program can reach'}`);
    else cellLeaks.push({ cell: name, ev, facts: cf });
  }

  // Returned to callers: their treatment was attributed to the site; unresolved only when a caller may be outside.
  const unseenCallers = [...f.returnedBy].filter((key) => {
    const s = w.summaries.get(key) ?? opts.summary?.(key);
    return !s || s.exported || !(w.callsSeen.get(key) ?? 0);
  });

  // A loss is a leak unless the path after it only ever ended the process or reaped every child.
  const leaks = [...f.leaks].filter(([k]) => f.confirmed.has(k) || !f.reaped.has(k)).map(([, l]) => l);
  const kills = f.kills.length ? `; ${f.kills[0].how} at ${line(f.kills[0].at)} does not reap it` : '';
  const childWait = f.childWaits.length ? `; the wait at ${line(f.childWaits[0].at)} runs in the child, not the parent` : '';

  if (leaks.length || cellLeaks.length) {
    const good = f.waits.length + f.exits.length + cellWaits.length + f.escapes.length;
    const first = leaks[0];
    const losses = leaks.map((l) => ({ at: l.at, message: lossWords(l) }));
    for (const c of cellLeaks) {
      const k = c.facts.kills.length ? `; only ${c.facts.kills[0].how} at ${line(c.facts.kills[0].at)}, which does not reap it` : '';
      losses.push({ at: c.ev.at, message: `kept in ${c.cell}, and nothing in this program waits on it${k}` });
    }
    const blocked = f.blocked.length ? `; nothing waits for it while the program sleeps in ${f.blocked[0].how} at ${line(f.blocked[0].at)}` : '';
    const waitedElsewhere = f.waits.length ? `; it is waited for only on other paths (${f.waits[0].how} at ${line(f.waits[0].at)})` : '';
    return {
      waited: 'no',
      leak: good ? 'some-paths' : 'always',
      // The site's own line: a child returned to a caller has a trace that starts at the call.
      reason: `${site.words} at ${line(site.at)} starts a child that is never waited for: ${losses[0].message}${blocked}${waitedElsewhere}${kills}${childWait}`,
      path: first ? [...first.trace, { at: first.at, words: lossWords(first) }] : [{ at: cellLeaks[0].ev.at, words: losses[0].message }],
      losses,
      facts: f,
    };
  }
  const escapes = f.escapes.map((e) => `${e.how} at ${line(e.at)}`);
  for (const c of cellUnknown) escapes.push(c);
  if (unseenCallers.length) {
    const r = f.returnedAt[0];
    escapes.push(`returned${r ? ` at ${line(r.at)}` : ''} to the callers of ${unseenCallers.join(', ')}, not all of which are seen`);
  }
  if (escapes.length) return { ...base, waited: 'unknown', reason: `the child is handed on: ${escapes.join('; ')}` };
  const goods = [...f.waits.map((e) => `waited for by ${e.how} at ${line(e.at)}`), ...cellWaits.map((e) => `waited for by ${e.how} at ${line(e.at)}`)];
  const exits = f.exits.map((e) => `${e.how} at ${line(e.at)}, and init reaps the child`);
  if (goods.length || exits.length) {
    const firstEv = f.waits[0] ?? cellWaits[0] ?? f.exits[0];
    return { ...base, waited: 'yes', reason: [...new Set([...goods, ...exits])].join('; '), path: firstEv ? [{ at: firstEv.at, words: goods[0] ?? exits[0] }] : [] };
  }
  if (f.stuck.length) {
    const s = f.stuck[0];
    const message = `${s.fn} never returns (${s.how}) and nothing waits for it`;
    return { waited: 'no', leak: 'always', reason: `${site.words} at ${line(site.at)} starts a child that is never waited for: ${message}`, path: [{ at: s.at, words: message }], losses: [{ at: s.at, message }], facts: f };
  }
  return { ...base, waited: 'unknown', reason: 'no path was seen to wait for or lose the child' };
}

export function lossWords(l: Leak): string {
  switch (l.kind) {
    case 'return': return `${l.fn} returns at ${line(l.at)} without waiting for it`;
    case 'throw': return `an exception leaves ${l.fn} at ${line(l.at)} without waiting for it`;
    case 'end': return `${l.fn} ends at ${line(l.at)} without waiting for it`;
    case 'scope-end': return `its handle goes out of scope at ${line(l.at)}`;
    case 'jump': return `the jump at ${line(l.at)} leaves its handle's block`;
    case 'overwrite': return `its handle is overwritten at ${line(l.at)}`;
    case 'discarded': return `the handle is dropped at once (${line(l.at)})`;
    case 'release': return `the handle is released at ${line(l.at)}, after which nothing can wait for it`;
  }
}

/**
 * A finding's related locations from a verdict: each step of the deciding path (the branches and
 * calls taken), then every other place the child is lost. The site itself is left out: the
 * finding already points there.
 */
export function relatedOf(v: Verdict, site: SourceRange): { range: SourceRange; message: string }[] {
  const out: { range: SourceRange; message: string }[] = [];
  const seen = new Set<string>();
  const add = (range: SourceRange, message: string) => {
    const key = `${range.startLine}:${range.startColumn}:${message}`;
    if (seen.has(key) || (range.startLine === site.startLine && range.startColumn === site.startColumn)) return;
    seen.add(key);
    out.push({ range, message });
  };
  for (const s of v.path) add(s.at, s.words);
  for (const l of v.losses) add(l.at, l.message);
  return out;
}
