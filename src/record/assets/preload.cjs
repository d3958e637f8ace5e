'use strict';
// Process Inspector: the Node spawn recorder, loaded by NODE_OPTIONS=--require (src/record/node.ts;
// the record format is src/record/types.ts).
//
// When PROCESS_INSPECTOR_RECORD names a file at start-up, every child started through
// ChildProcess.prototype.spawn (what spawn, fork, exec and execFile all call) is appended to that
// file as one JSON line, written synchronously right after the spawn returned with a PID: a record
// deferred to the 'spawn' event would be lost on a process.exit() right after. The path is read
// once, here: a program that empties process.env still records. When the variable is unset
// nothing is wrapped.
//
// Not recorded: spawnSync, execSync and execFileSync. They never return before the child is reaped,
// so their children can be neither zombies nor running leftovers of this process; children that
// *they* start are recorded by their own recorder if they are Node or Python.
//
// The stack comes from V8's structured CallSites (Error.prepareStackTrace), innermost first,
// starting at the caller of ChildProcess.prototype.spawn (node:child_process's own spawn/fork/
// execFile frames are kept: the reader decides which are the user's). ESM file:// URLs become
// paths. Error.prepareStackTrace and Error.stackTraceLimit are restored before we return. The
// record file is opened with O_WRONLY|O_APPEND|O_CREAT (libuv adds O_CLOEXEC to every open),
// mode 0600, written with one write(2), closed. Nothing here throws or prints: a record that
// cannot be made is dropped.
(function processInspectorRecorder() {
  const recordPath = process.env.PROCESS_INSPECTOR_RECORD;
  if (!recordPath) return;
  const MARK = Symbol.for('processInspector.spawnRecorder');
  const MAX_FRAMES = 64;
  let fs, url;
  try {
    fs = require('fs');
    url = require('url');
  } catch {
    return;
  }
  const flags = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;
  const own = Object.prototype.hasOwnProperty;
  let realSpawn;
  const statBuffer = Buffer.allocUnsafe(4096); // a /proc/PID/stat line is some 300 bytes
  let tid; // this thread's kernel TID (a worker thread has its own copy of this module)

  // child_process costs ~10 ms to load (net, streams, dgram): a program that never spawns should
  // not pay for it. The 'child_process' diagnostics channel is published in the ChildProcess
  // constructor, before the spawn() that every spawn/fork/exec/execFile makes right after: the
  // first child installs the wrapper in time for its own spawn, then we unsubscribe.
  function install() {
    try {
      const proto = require('child_process').ChildProcess.prototype;
      const current = proto.spawn;
      if (typeof current !== 'function' || current[MARK]) return; // loaded twice: once is enough
      realSpawn = current;
      Object.defineProperty(spawn, 'length', { value: realSpawn.length });
      Object.defineProperty(spawn, MARK, { value: realSpawn });
      proto.spawn = spawn;
    } catch {
      // a frozen prototype: nothing recorded
    }
  }
  let channel;
  try {
    channel = require('diagnostics_channel').channel('child_process');
  } catch {
    channel = undefined;
  }
  if (channel && typeof channel.subscribe === 'function' && typeof channel.unsubscribe === 'function') {
    const onChild = () => {
      try {
        channel.unsubscribe(onChild);
      } catch {
        // stays subscribed; install() is idempotent
      }
      install();
    };
    channel.subscribe(onChild);
    // Node 20 holds a channel with subscribers strongly; older ones kept only a weak reference to
    // it, and a collected channel would be recreated without us when child_process loads.
    module.exports.channel = channel;
  } else {
    install();
  }

  // The child's start time as field 22 of /proc/CHILD/stat gives it (clock ticks since boot),
  // mostly without reading that file, which while the child is still in execve was the largest
  // part of a record (bench/recorders.mjs). The kernel takes the child's start_boottime while it
  // creates it, between a reading of the monotonic clock before the spawn (b) and one after (a),
  // and field 22 is that time rounded down to whole ticks. CLOCK_BOOTTIME is CLOCK_MONOTONIC plus
  // a constant (it grows only by time spent suspended), so every stat that is read bounds that
  // constant: off in [S*tick - a, (S+1)*tick - b). The bounds kept are the intersection of all
  // such facts; when b+lo and a+hi fall in one tick, that tick is the child's, and no file is
  // read. Otherwise (a spawn near a tick's edge, bounds still wide, or a second since the last
  // stat read, so that a suspend cannot mislead us for long) the child's stat is read, and adds
  // its fact; a fact outside the bounds (a suspend) starts them again.
  const AT_CLKTCK = 17;
  let tick = 0; // ms per clock tick, from AT_CLKTCK in /proc/self/auxv; 0: always read the stat
  try {
    // 64-bit little-endian entries (type, value); any other layout reads no AT_CLKTCK
    const auxv = process.arch.endsWith('64') ? fs.readFileSync('/proc/self/auxv') : Buffer.alloc(0);
    for (let i = 0; i + 16 <= auxv.length; i += 16) {
      const type = auxv.readBigUInt64LE(i);
      if (type === 0n) break;
      if (type === BigInt(AT_CLKTCK)) {
        const hz = Number(auxv.readBigUInt64LE(i + 8));
        if (hz > 0 && hz <= 10000) tick = 1000 / hz;
        break;
      }
    }
  } catch {
    // no auxv (not Linux, or a 32-bit layout): every record reads the child's stat
  }
  const base = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - base) / 1e6; // CLOCK_MONOTONIC, ms
  const RECHECK_MS = 1000;
  const EDGE_MS = 0.001; // a margin for rounding in the bounds
  let lo = 0;
  let hi = -1; // lo > hi: no bounds yet
  let checked = -Infinity;

  /** The child's tick from the bounds, or undefined when they do not decide it. */
  function predicted(b, a) {
    if (tick === 0 || lo > hi || a - checked > RECHECK_MS) return undefined;
    const first = Math.floor((b + lo - EDGE_MS) / tick);
    return first === Math.floor((a + hi + EDGE_MS) / tick) && first >= 0 ? first : undefined;
  }

  /** Adds what a child's stat said (its tick) to the bounds. */
  function learn(start, b, a) {
    if (tick === 0 || typeof start !== 'number') return;
    const factLo = start * tick - a;
    const factHi = (start + 1) * tick - b;
    if (lo <= hi && factLo < hi && factHi > lo) {
      lo = Math.max(lo, factLo);
      hi = Math.min(hi, factHi);
    } else {
      lo = factLo;
      hi = factHi;
    }
    checked = a;
  }

  function spawn() {
    const b = tick ? now() : 0;
    const result = realSpawn.apply(this, arguments);
    if (typeof this.pid === 'number') {
      const a = tick ? now() : 0;
      note(this.pid, predicted(b, a), b, a);
    }
    return result;
  }

  const structured = (_error, sites) => sites;
  function callSites() {
    const hadPrepare = own.call(Error, 'prepareStackTrace');
    const prepare = Error.prepareStackTrace;
    const hadLimit = own.call(Error, 'stackTraceLimit');
    const limit = Error.stackTraceLimit;
    const holder = {};
    try {
      Error.stackTraceLimit = MAX_FRAMES;
      Error.prepareStackTrace = structured;
      Error.captureStackTrace(holder, spawn); // leaves out our wrapper and everything it called
      return holder.stack; // formatted lazily: read it before prepareStackTrace goes back
    } finally {
      if (hadPrepare) Error.prepareStackTrace = prepare;
      else delete Error.prepareStackTrace;
      if (hadLimit) Error.stackTraceLimit = limit;
      else delete Error.stackTraceLimit;
    }
  }

  function frameOf(site) {
    const frame = {};
    let file = site.getFileName() || site.getScriptNameOrSourceURL();
    if (file) {
      if (file.startsWith('file://')) {
        try {
          file = url.fileURLToPath(file);
        } catch {
          // keep the URL
        }
      }
      frame.file = file;
    }
    const line = site.getLineNumber();
    if (typeof line === 'number') frame.line = line;
    // getMethodName searches the receiver's properties for the function: asked only of method
    // calls, as V8's own stack formatter does (for a top-level frame the receiver is the global
    // object, or none, and the search was most of frameOf's cost: bench/recorders.mjs, perf).
    let name = site.getFunctionName();
    const constructor = site.isConstructor();
    const toplevel = constructor || site.isToplevel();
    if (!name && !toplevel) name = site.getMethodName();
    if (constructor) name = `new ${name || '<anonymous>'}`;
    else if (!toplevel) {
      const type = site.getTypeName();
      if (type && type !== 'Object' && name && !name.startsWith(`${type}.`)) name = `${type}.${name}`;
    }
    if (site.isAsync()) name = `async ${name || '<anonymous>'}`;
    if (name) frame.function = name;
    return frame;
  }

  function startOf(pid) {
    // field 22 of /proc/PID/stat; comm (field 2) may hold ')' and spaces: split at the last ')'
    // (open + one read into a kept buffer: a third of readFileSync's cost, which stats and grows)
    try {
      const fd = fs.openSync(`/proc/${pid}/stat`, fs.constants.O_RDONLY);
      let stat;
      try {
        stat = statBuffer.latin1Slice(0, fs.readSync(fd, statBuffer, 0, statBuffer.length, null));
      } finally {
        fs.closeSync(fd);
      }
      const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      return Number.isInteger(value) ? value : null;
    } catch {
      return null;
    }
  }

  function threadId() {
    if (tid === undefined) {
      try {
        tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop()) || null;
      } catch {
        tid = null;
      }
    }
    return tid;
  }

  // a path relative to the cwd: not absolute, not a URL or node:internal/..., not [eval] or
  // <anonymous>. By character codes: the two regular expressions this replaces were a tenth of a
  // record's CPU time in a spawn loop (bench/recorders.mjs, --cpu-prof).
  function isRelative(file) {
    const c = file.charCodeAt(0);
    if (c === 47 || c === 91 || c === 60) return false; // '/', '[', '<'
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return true; // not a letter: no scheme
    for (let i = 1; i < file.length; i++) {
      const d = file.charCodeAt(i);
      if (d === 58) return false; // 'scheme:'
      // scheme characters: letters, digits, '+', '-', '.'
      if (!((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || (d >= 48 && d <= 57) || d === 43 || d === 45 || d === 46)) return true;
    }
    return true;
  }

  function note(pid, start, b, a) {
    try {
      const sites = callSites();
      const stack = Array.isArray(sites) ? sites.map(frameOf) : [];
      const record = { v: 1, pid, ppid: process.pid };
      const t = threadId();
      if (t) record.tid = t;
      if (start === undefined) {
        start = startOf(pid);
        learn(start, b, a);
      }
      record.start = start;
      record.time = Date.now();
      record.api = 'ChildProcess.spawn';
      record.lang = 'node';
      record.stack = stack;
      if (stack.some((f) => f.file !== undefined && isRelative(f.file))) {
        record.cwd = process.cwd();
      }
      // A string, not a Buffer made from it: writeSync encodes it on the stack and makes one
      // write(2) all the same (node's WriteString), without Buffer.from's pool work.
      const data = JSON.stringify(record) + '\n';
      const fd = fs.openSync(recordPath, flags, 0o600);
      try {
        fs.writeSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // the record is lost; the program goes on as without us
    }
  }

})();
