/**
 * The language scanners, each loaded on first use. A start from the saved index that finds
 * nothing changed scans nothing (snapshot.ts), and loading them cost it ~6 ms of its ~160
 * (bench/sites.mjs, "A start from the saved index"); a workspace with no Rust never loads the Rust
 * scanner. file-entry.ts imports them from here rather than from each module; each call goes to the
 * module's own function, with its own types.
 */
import type * as C from './c';
import type * as Go from './go';
import type * as JavaScript from './javascript';
import type * as Python from './python';
import type * as Rust from './rust';

// Each a require at the first call, not an import: an import would load the module with this one.
/* eslint-disable @typescript-eslint/no-require-imports */
let c: typeof C | undefined;
let go: typeof Go | undefined;
let javascript: typeof JavaScript | undefined;
let python: typeof Python | undefined;
let rust: typeof Rust | undefined;
const cModule = (): typeof C => (c ??= require('./c') as typeof C);
const pythonModule = (): typeof Python => (python ??= require('./python') as typeof Python);

export const scanC: typeof C.scanC = (...args) => cModule().scanC(...args);
export const scanGo: typeof Go.scanGo = (...args) => (go ??= require('./go') as typeof Go).scanGo(...args);
export const scanJavaScript: typeof JavaScript.scanJavaScript = (...args) => (javascript ??= require('./javascript') as typeof JavaScript).scanJavaScript(...args);
export const scanPython: typeof Python.scanPython = (...args) => pythonModule().scanPython(...args);
export const scanRust: typeof Rust.scanRust = (...args) => (rust ??= require('./rust') as typeof Rust).scanRust(...args);
/* eslint-enable @typescript-eslint/no-require-imports */

/** A set read from a scanner module when first asked (the module is loaded then). */
class LazySet implements ReadonlySet<string> {
  constructor(private readonly load: () => ReadonlySet<string>) {}
  private get set(): ReadonlySet<string> {
    return this.load();
  }
  has(x: string): boolean {
    return this.set.has(x);
  }
  get size(): number {
    return this.set.size;
  }
  forEach(f: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    this.set.forEach(f, thisArg);
  }
  entries(): SetIterator<[string, string]> {
    return this.set.entries();
  }
  keys(): SetIterator<string> {
    return this.set.keys();
  }
  values(): SetIterator<string> {
    return this.set.values();
  }
  [Symbol.iterator](): SetIterator<string> {
    return this.set[Symbol.iterator]();
  }
}

/** c.ts's C_SITE_FUNCTIONS, python.ts's PYTHON_SITE_NAMES: what the index's byte pre-filter asks of C and Python files. */
export const C_SITE_FUNCTIONS: ReadonlySet<string> = new LazySet(() => cModule().C_SITE_FUNCTIONS);
export const PYTHON_SITE_NAMES: ReadonlySet<string> = new LazySet(() => pythonModule().PYTHON_SITE_NAMES);
