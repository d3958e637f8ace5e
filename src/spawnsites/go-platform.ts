/**
 * Conditions on the OS a Go program runs on written in its code, not its build constraints:
 * `runtime.GOOS == "windows"`, and the package-level constants and variables made of one
 * (`const isWindows = runtime.GOOS == "windows"`; syncthing's `build.IsWindows`, in another package
 * of the module). Each has one value on every OS where a child can become a zombie; the branch it
 * rules out is code where none can be. Read as text, as go-errpred.ts reads its predicates.
 */
import { GO_ZOMBIE_OS } from './platform';

/** The value of `GOOS op value` on every OS with zombies, or undefined when it differs between them. */
export function goosComparison(op: string, value: string): boolean | undefined {
  if (op !== '==' && op !== '!=') return undefined;
  if (GO_ZOMBIE_OS.includes(value)) return undefined;
  return op === '!=';
}

/** A name a constant of an OS without zombies (or of every other OS) has: `isWindows`, `IsJS`, `onWasm`, `notWin`, `isUnix`, `posix`. */
export const PLATFORM_NAME = /win|js|wasm|wasi|unix|posix|goos/i;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `name = runtime.GOOS == X` (a const or var, in a block or alone) declared in `texts` (the files of
 * one package), X a string or a string constant of the same texts: its value on every OS with
 * zombies, and the comparison in words (`runtime.GOOS == Windows`). undefined when not declared so, declared twice, or a var
 * assigned anywhere else in the texts.
 */
export function goosConstIn(texts: readonly string[], name: string): { holds: boolean; words: string } | undefined {
  const n = esc(name);
  const decl = new RegExp(`^[ \\t]*(?:(?:const|var)[ \\t]+)?${n}(?:[ \\t]+bool)?[ \\t]*=[ \\t]*(\\w+)\\.GOOS[ \\t]*(==|!=)[ \\t]*("[^"\\n]*"|\\w+)[ \\t]*(?://.*)?$`, 'gm');
  const assign = new RegExp(`(?:^|[^.\\w])${n}[ \\t]*=[^=]`, 'gm');
  let found: { holds: boolean; words: string } | undefined;
  let decls = 0;
  let assigns = 0;
  for (const text of texts) {
    for (const m of text.matchAll(decl)) {
      decls++;
      if (!importsRuntimeAs(text, m[1])) return undefined;
      const raw = m[3];
      const value = raw.startsWith('"') ? raw.slice(1, -1) : stringConstIn(texts, raw);
      const holds = value === undefined ? undefined : goosComparison(m[2], value);
      if (holds === undefined) return undefined;
      found = { holds, words: `${m[1]}.GOOS ${m[2]} ${raw}` };
    }
    assigns += [...text.matchAll(assign)].length;
  }
  return decls === 1 && assigns === 1 ? found : undefined;
}

function importsRuntimeAs(text: string, pkg: string): boolean {
  if (pkg === 'runtime') return /^\s*(?:import\s+)?"runtime"/m.test(text);
  return new RegExp(`^\\s*(?:import\\s+)?${esc(pkg)}\\s+"runtime"`, 'm').test(text);
}

/** `name = "value"` (a const of the texts, declared once). */
function stringConstIn(texts: readonly string[], name: string): string | undefined {
  const re = new RegExp(`^[ \\t]*(?:const[ \\t]+)?${esc(name)}(?:[ \\t]+string)?[ \\t]*=[ \\t]*"([^"\\n]*)"`, 'gm');
  const values = texts.flatMap((t) => [...t.matchAll(re)].map((m) => m[1]));
  return values.length === 1 ? values[0] : undefined;
}
