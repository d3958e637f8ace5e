/**
 * Linking a zombie to the line that spawned it.
 *
 * A zombie keeps only its pid, ppid, comm (the basename of the file it executed, cut to 15 bytes)
 * and start time; its cmdline and exe are gone. Its parent is alive (otherwise init would have
 * reaped it) and still has an exe and a cmdline. So the evidence is:
 *  - name: the zombie's comm against each site's program (or, for a fork without exec, against
 *    the parent's own comm);
 *  - parent: the parent's executable or script against the workspace's programs: a Go command
 *    (its directory, its `go build` name, `go run`'s /tmp/go-build.../exe/NAME, Delve's
 *    `__debug_bin*` written in the package directory), a Cargo crate (target/debug/NAME), a C
 *    directory, a Python or Node script on the interpreter's command line;
 *  - waiting: a site that never waits is a better suspect than one that escapes.
 * Sites that wait are never candidates. The best candidate is attached with `likely` when two
 * kinds of evidence agree on it and no other never-waited site remains that could have started a
 * child of that name (in the parent's program, its program this child's or unknown), `possible` otherwise (one kind of evidence, or other candidates, or a tie
 * of at most three), and nothing when the evidence is weaker. A recorded spawn (src/record)
 * beats all of this.
 */
import type { ProgramUnit } from './programs';
import { baseName, commBytesOf, commOf } from './syntax';
import type { SiteLanguage, SpawnSite } from './types';

export interface ZombieRef {
  pid: number;
  comm: string;
  ppid: number;
  /** The comm's bytes in hex when they are not valid UTF-8 (see ProcessInfo.commHex). */
  commHex?: string;
}

export interface ParentRef {
  pid: number;
  comm: string;
  /** /proc/PID/exe of the parent. */
  exe?: string;
  /** /proc/PID/cmdline of the parent. */
  cmdline?: string[];
  /**
   * What a debugger was told this parent runs (a launch configuration's `program`: a Go package
   * directory or file, a script, a binary), when the parent is that session's debuggee. Delve
   * builds its binary in a temporary directory, so the exe alone cannot say which command it is.
   */
  program?: string;
}

export interface SiteLink {
  site: SpawnSite;
  confidence: 'likely' | 'possible';
  reason: string;
}

/** What linking needs from the index (SpawnSiteIndex provides it). */
export interface LinkableIndex {
  sites(): SpawnSite[];
  units(): ProgramUnit[];
  readonly root?: string;
}

type Family = 'go' | 'c' | 'python' | 'js' | 'rust';

function family(lang: SiteLanguage): Family {
  switch (lang) {
    case 'cpp':
    case 'c':
      return 'c';
    case 'javascript':
    case 'typescript':
      return 'js';
    default:
      return lang;
  }
}

/** The zombie's comm equals the kernel's comm for `program`. */
function commMatches(zombie: ZombieRef, program: string): boolean {
  if (zombie.commHex) return commBytesOf(program).toString('hex') === zombie.commHex;
  return commOf(program) === zombie.comm;
}

const INTERPRETERS: { re: RegExp; family: Family }[] = [
  { re: /^python[0-9.]*$/, family: 'python' },
  { re: /^(node|nodejs)$/, family: 'js' },
];

interface ParentFacts {
  /** The parent is a runtime or binary of this kind (from its exe or comm). */
  family?: Family;
  /** Workspace programs the parent is, with the words that say why. */
  units: { unit: ProgramUnit; why: string }[];
  /** The parent's exe is known and is none of the workspace's programs. */
  foreign: boolean;
  label: string;
  /**
   * Set when the units were matched by the parent's name alone and its exe lies outside the
   * workspace (another build, another project, a system binary of the same name): the link
   * is then at most `possible`, with these words.
   */
  nameOnlyOutside?: string;
}

function parentFacts(parent: ParentRef | undefined, index: LinkableIndex): ParentFacts {
  const rel = (p: string) => relativeTo(index.root, p);
  if (!parent) return { units: [], foreign: false, label: 'the parent' };
  const exe = parent.exe;
  const exeBase = exe ? baseName(exe) : undefined;
  const label = exe ? `the parent ${exe} (pid ${parent.pid})` : `the parent ${parent.comm} (pid ${parent.pid})`;
  const facts: ParentFacts = { units: [], foreign: false, label };
  const commName = exeBase ?? parent.comm;
  const interp = INTERPRETERS.find((i) => i.re.test(commName) || i.re.test(parent.comm));
  if (interp) facts.family = interp.family;

  const units = index.units();
  if (parent.program) {
    const prog = parent.program.replace(/\/+$/, '');
    for (const u of units) {
      const hit = u.kind === 'script' ? u.path === prog : prog === u.path || (prog.startsWith(`${u.path}/`) && !prog.slice(u.path.length + 1).includes('/'));
      if (hit) facts.units.push({ unit: u, why: `${label} is the debug session's program ${rel(prog)}` });
    }
    if (facts.units.length) {
      facts.family = commonFamily(facts.units) ?? facts.family;
      return facts;
    }
  }
  if (interp) {
    // python3 /ws/app.py, python3 -m pkg.mod, node /ws/server.js: the script on the command line.
    const args = (parent.cmdline ?? []).slice(1);
    const scripts: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-m' && args[i + 1]) {
        const mod = args[i + 1].replace(/\./g, '/');
        scripts.push(`${mod}.py`, `${mod}/__main__.py`);
        i++;
      } else if (!a.startsWith('-')) scripts.push(a);
    }
    for (const u of units) {
      if (u.kind !== 'script' || family(u.language) !== interp.family) continue;
      const hit = scripts.find((s) => u.path === s || u.path.endsWith(`/${s.replace(/^\.\//, '')}`));
      if (hit) facts.units.push({ unit: u, why: `${label} runs ${rel(u.path)}` });
    }
    if (facts.units.length === 0 && parent.cmdline) facts.foreign = true;
    return facts;
  }

  if (exe || parent.comm) {
    const exeDir = exe ? exe.slice(0, exe.lastIndexOf('/')) : undefined;
    // go run: /tmp/go-build123/b001/exe/NAME; Delve: <package dir>/__debug_bin[NNN].
    const goRun = !!exe && /\/go-build[0-9]+\/b[0-9]+\/exe\//.test(exe);
    const delve = commName.startsWith('__debug_bin');
    if (goRun || delve) facts.family = 'go';
    for (const u of units) {
      if (u.kind === 'script') continue;
      if (exeDir && (exeDir === u.path || (u.kind === 'rust-crate' && exe!.startsWith(`${u.path}/target/`)))) {
        facts.units.push({ unit: u, why: `${label} was built in ${rel(u.path)}/` });
        continue;
      }
      if (delve) continue; // its name says nothing about the package; only its directory does
      const names = u.names.map((n) => commOf(n));
      const own = exeBase ? commOf(exeBase) : parent.comm;
      if (names.includes(own)) {
        facts.units.push({ unit: u, why: `${label} is named like the ${describeUnit(u, rel)}${goRun ? ' (go run builds it in a temporary directory)' : ''}` });
      }
    }
    // A parent outside the workspace, named like none of its programs: not ours.
    const inside = !!exe && !!index.root && exe.startsWith(`${index.root}/`);
    if (facts.units.length === 0 && exe && !inside && !goRun && !delve) facts.foreign = true;
    // Named like one of them, but outside it: weak evidence, said so (issue 12).
    if (facts.units.length && exe && !inside && !goRun && facts.units.every((u) => u.why.includes(' is named like the '))) {
      facts.nameOnlyOutside = `the parent's executable ${exe} is outside the workspace and matches its ${facts.units.length === 1 ? 'program' : 'programs'} by name alone`;
    }
    facts.family ??= commonFamily(facts.units);
  }
  return facts;
}

/** The one language family all these units share, if they share one. */
function commonFamily(units: ParentFacts['units']): Family | undefined {
  const fams = new Set(units.map((x) => family(x.unit.language)));
  return fams.size === 1 ? [...fams][0] : undefined;
}

function describeUnit(u: ProgramUnit, rel: (p: string) => string): string {
  switch (u.kind) {
    case 'go-command':
      return `Go command in ${rel(u.path)}/`;
    case 'rust-crate':
      return `Rust crate in ${rel(u.path)}/`;
    case 'c-directory':
      return `C/C++ sources in ${rel(u.path)}/`;
    default:
      return `script ${rel(u.path)}`;
  }
}

interface Scored {
  site: SpawnSite;
  score: number;
  strong: number;
  words: string[];
}

/**
 * The site that most likely spawned `zombie`, or undefined when the evidence is too weak.
 * Pure: reads only its arguments.
 */
export function linkZombie(zombie: ZombieRef, parent: ParentRef | undefined, index: LinkableIndex): SiteLink | undefined {
  const pf = parentFacts(parent, index);
  // A parent known to be no program of this workspace did not run any of its sites.
  if (pf.foreign) return undefined;
  const unitFiles = new Set<string>();
  for (const { unit } of pf.units) for (const f of unit.files) unitFiles.add(f);

  const scored: Scored[] = [];
  for (const site of index.sites()) {
    if (site.waited === 'yes') continue;
    // An exec in a fork's child names that fork's child; the fork is the spawn site.
    if (site.fork?.forkLine !== undefined) continue;
    const fam = family(site.language);
    if (pf.family && pf.family !== fam) continue;
    const s: Scored = { site, score: 0, strong: 0, words: [] };
    const where = `${relativeTo(index.root, site.file)}:${site.line}`;

    // Name.
    if (site.program !== null && commMatches(zombie, site.program)) {
      s.score += 4;
      s.strong++;
      s.words.push(`the zombie's name "${zombie.comm}" is the program ${site.api} at ${where} starts (${site.program})`);
    } else if (site.forksSelf && parent && zombie.comm === parent.comm) {
      s.score += 3;
      s.strong++;
      s.words.push(`the zombie has its parent's name "${zombie.comm}", as a child of ${site.api} at ${where} does (it runs the same program)`);
    } else if (site.fork?.execLines && parent && zombie.comm === parent.comm) {
      // A forked child keeps its parent's name until its exec succeeds: it died before or
      // instead of the exec (exec failures exit 127 with the parent's comm).
      s.score += 2;
      s.strong++;
      s.words.push(`the zombie has its parent's name "${zombie.comm}": a child of ${site.api} at ${where} that never got to exec ${site.program ?? 'its program'} (or whose exec failed)`);
    } else if (site.fork?.shell && zombie.comm === 'sh') {
      s.score += 2;
      s.strong++;
      s.words.push(`the zombie is a shell, as ${site.api} at ${where} starts /bin/sh`);
    } else if (site.program !== null && site.programSource !== 'flag-default') {
      continue; // it runs something else
    } else if (site.forksSelf && parent && zombie.comm !== parent.comm && site.program === null && !site.fork?.execLines) {
      continue; // a copy of the parent would carry the parent's name
    }

    // Parent.
    if (pf.units.length) {
      if (!unitFiles.has(site.file)) continue; // the parent is another program of the workspace
      s.score += 3;
      s.strong++;
      s.words.push(pf.units.find((u) => u.unit.files.has(site.file))!.why + `, which contains ${where}`);
    } else if (pf.family === fam) {
      s.score += 1;
    }

    // Waiting.
    if (site.waited === 'no') {
      s.score += site.leak === 'some-paths' ? 1 : 2;
      s.strong++;
      s.words.push(site.leak === 'some-paths' ? `the site does not wait for its child on every path (${site.reason})` : `the site never waits for its child (${site.reason})`);
    } else {
      s.words.push(`whether it waits is unknown (${site.reason})`);
    }
    scored.push(s);
  }
  if (scored.length === 0) return undefined;
  scored.sort((a, b) => b.score - a.score || b.strong - a.strong);
  const top = scored[0];
  // Name or parent evidence is required: "it never waits" alone points at every leaking site.
  const waitPoints = top.site.waited === 'no' ? (top.site.leak === 'some-paths' ? 1 : 2) : 0;
  if (top.score - waitPoints < 2) return undefined;
  // Rivals: sites the evidence barely tells apart from the best (one point or less).
  const rivals = scored.slice(1).filter((x) => x.score >= top.score - 1);
  if (rivals.length > 2) return undefined;
  // `likely` only when no other never-waited site that could have started this child remains at
  // all: in the parent's program, its program this child's or unknown. Scores rank suspects; they
  // do not rule one out.
  const others = scored.slice(1).filter((x) => !rivals.includes(x) && x.site.waited === 'no');
  let confidence: SiteLink['confidence'] = rivals.length === 0 && others.length === 0 && top.strong >= 2 ? 'likely' : 'possible';
  let reason = top.words.join('; ');
  if (pf.nameOnlyOutside) {
    confidence = 'possible';
    reason += `; only possible: ${pf.nameOnlyOutside}`;
  }
  if (rivals.length) reason += `; but ${rivals.map((r) => `${relativeTo(index.root, r.site.file)}:${r.site.line}`).join(' and ')} ${rivals.length === 1 ? 'fits' : 'fit'} almost as well`;
  else if (others.length) {
    const shownOthers = others.slice(0, 3).map((r) => `${relativeTo(index.root, r.site.file)}:${r.site.line}`);
    reason += `; but ${others.length === 1 ? `${shownOthers[0]} could also have started it` : `${others.length} other sites (${shownOthers.join(', ')}${others.length > 3 ? ', …' : ''}) could also have started it`}`;
  }
  return { site: top.site, confidence, reason };
}

function relativeTo(root: string | undefined, file: string): string {
  return root && file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}
