// Starts the fixture population (population.c) and guarantees its clean-up: on normal exit, on
// Ctrl-C / SIGTERM, and even when this process is killed outright (the reaper sees its stdin
// close and kills + reaps everything).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { buildC } from './cc.mjs';

let interruptedBy;
/** The signal that interrupted the benchmark, if one did. */
export const interrupted = () => interruptedBy;

/** The default shape: ~4,000 processes, 1,000 zombies, a subtree of 1,000 descendants. */
export const DEFAULT_SHAPE = { alive: 2290, zombies: 700, mids: 10, alivePerMid: 69, zombiesPerMid: 30 };

export function describeShape(s) {
  const subAlive = s.mids * (1 + s.alivePerMid);
  const subZombies = s.mids * s.zombiesPerMid;
  return {
    ours: 2 + s.alive + s.zombies + 1 + subAlive + subZombies,
    zombies: s.zombies + subZombies,
    subtreeDescendants: subAlive + subZombies,
    subAlive,
    subZombies,
  };
}

/** Every process as { pid, ppid, state }, by a plain scan of /proc (independent of the reader under test). */
export function scanProc() {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    let s;
    try {
      s = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    const close = s.lastIndexOf(')');
    const [state, ppid] = s.slice(close + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(ppid), state });
  }
  return out;
}

/** How many processes there are, and how many zombies. */
export function countProc() {
  const all = scanProc();
  return { total: all.length, zombies: all.filter((p) => p.state === 'Z').length };
}

/** root's descendants (root excluded) in a scanProc() result, as pid -> state. */
export function descendantsIn(all, root) {
  const kids = new Map();
  for (const p of all) {
    if (!kids.has(p.ppid)) kids.set(p.ppid, []);
    kids.get(p.ppid).push(p);
  }
  const out = new Map();
  const queue = [root];
  while (queue.length) {
    for (const c of kids.get(queue.pop()) ?? []) {
      if (out.has(c.pid)) continue;
      out.set(c.pid, c.state);
      queue.push(c.pid);
    }
  }
  return out;
}

/**
 * Starts the population; resolves to { reaper, pop, subroot, stop() } once every process exists
 * and all the zombies are zombies. stop() is synchronous-safe to call more than once.
 */
export async function startPopulation(shape = DEFAULT_SHAPE, log = () => {}) {
  const bin = buildC('population');
  const want = describeShape(shape);
  const child = spawn(bin, [shape.alive, shape.zombies, shape.mids, shape.alivePerMid, shape.zombiesPerMid].map(String), {
    detached: true, // its own process group: a Ctrl-C in the terminal reaches us, and we stop it
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      child.stdin.end(); // EOF: the reaper kills the population and reaps it
    } catch {
      // already closed
    }
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const onSignal = (sig) => {
    interruptedBy = sig;
    stop();
    // Wait for the reaper to finish so the terminal is clean, then die of the signal's code.
    const t = setTimeout(() => process.exit(130), 15000);
    exited.then(() => {
      clearTimeout(t);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', stop);

  const t0 = Date.now();
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`population helper exited early (code ${code})`)));
  });
  const m = /^ready (\d+) (\d+)$/.exec(line);
  if (!m) throw new Error(`population helper said ${JSON.stringify(line)}`);
  // The zombies are zombies once their _exit() has run, the others once in pause(): wait for it.
  for (;;) {
    const ours = descendantsIn(scanProc(), child.pid);
    let zombies = 0;
    let sleeping = 0;
    for (const state of ours.values()) {
      if (state === 'Z') zombies++;
      else if (state === 'S') sleeping++;
    }
    if (zombies === want.zombies && zombies + sleeping === want.ours - 1) break;
    if (Date.now() - t0 > 120000) throw new Error(`population not settled: ${ours.size} processes, ${zombies} zombies`);
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`population ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    reaper: child.pid,
    pop: Number(m[1]),
    subroot: Number(m[2]),
    /** Stops it and resolves when every process of it is gone. */
    async close() {
      stop();
      await exited;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
