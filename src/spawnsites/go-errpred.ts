/**
 * Predicates true only for a non-nil error. After `err := cmd.Start()`, a branch taken when one
 * holds is taken only when the Start failed, with no child to wait for: mvdan/sh's
 * `if isENOEXEC(err) { return runScript(...) }` before its `cmd.Wait()`. The standard library's
 * (each is false for nil), and a package's own one-line wrappers of them, read from its source.
 */

/** By import path: the functions whose result is false for a nil error (their first argument). */
export const STD_ERR_PREDICATES: Readonly<Record<string, ReadonlySet<string>>> = {
  errors: new Set(['Is', 'As']),
  os: new Set(['IsExist', 'IsNotExist', 'IsPermission', 'IsTimeout']),
};

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether every declaration of the package function `name` in `texts` is a predicate of its one
 * `error` parameter: `func name(p error) bool { return A }` with A `false`, `p != nil`,
 * `errors.Is(p, …)`, `errors.As(p, …)` or `os.IsX(p)`, optionally `&& …` after it, or an `||` of
 * those. undefined when no text declares it; false when one declaration is anything else (a
 * build-tag twin with another body counts too).
 */
export function isErrPredicate(texts: Iterable<string>, name: string): boolean | undefined {
  const decl = new RegExp(`^func\\s+${esc(name)}\\s*[[(]`, 'gm');
  const pred = new RegExp(`^func\\s+${esc(name)}\\s*\\(\\s*(\\w+)\\s+error\\s*\\)\\s*bool\\s*\\{\\s*return\\s+([^\\n;{}]+?)\\s*\\}`);
  let found: boolean | undefined;
  for (const text of texts) {
    for (const m of text.matchAll(decl)) {
      const d = pred.exec(text.slice(m.index));
      if (!d || !impliesError(d[2], d[1])) return false;
      found = true;
    }
  }
  return found;
}

function impliesError(expr: string, p: string): boolean {
  const P = esc(p);
  const atom = `(?:false|${P}\\s*!=\\s*nil|errors\\.(?:Is|As)\\(\\s*${P}\\s*,[^()]*(?:\\([^()]*\\)[^()]*)*\\)|os\\.Is\\w+\\(\\s*${P}\\s*\\))`;
  return new RegExp(`^${atom}(?:\\s*\\|\\|\\s*${atom})*(?:\\s*&&.*)?$`).test(expr.trim());
}
