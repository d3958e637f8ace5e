// The spawn-site benchmark's two other yardsticks (bench/sites.mjs):
//   - ast-grep (npm @ast-grep/cli, a devDependency): the structural search a user would otherwise
//     script for the same Go APIs, with the rule in bench/lib/sites-ast-grep.yml;
//   - the index as of another commit (--baseline COMMIT): that commit's tree, out of `git archive`,
//     in a temporary directory outside the repository, built there by its own scripts/build.mjs, so
//     that its cold index runs beside this one under the same harness (bench/lib/sites-cold.mjs
//     --code DIR).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export const AST_GREP_RULE = 'bench/lib/sites-ast-grep.yml';

/**
 * The ast-grep binary of the installed @ast-grep/cli: the platform package's native binary, as
 * the package's own postinstall finds it (not the `sg` script, which would add a Node start-up).
 * Undefined when it is not installed.
 */
export function astGrepBinary(root) {
  try {
    const require = createRequire(path.join(root, 'package.json'));
    const bin = require('@ast-grep/cli/postinstall.js').resolveBinaryPath();
    return bin && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** `ast-grep scan` with the rule, over dir: the argv, and the version. */
export function astGrepCommand(bin, root, dir) {
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  return { argv: [bin, 'scan', '--rule', path.join(root, AST_GREP_RULE), '--json=stream', dir], version };
}

/**
 * Checks out `commit` of the repository at `root` into a new temporary directory and builds it
 * with that commit's own scripts/build.mjs (its node_modules: a symlink to root's, so the build
 * uses today's packages). Returns { dir, sha, subject }; the caller removes dir.
 */
export function prepareBaseline(root, commit, log) {
  const git = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();
  let sha;
  try {
    sha = git('rev-parse', '--verify', '--quiet', `${commit}^{commit}`);
  } catch {
    throw new Error(`--baseline ${commit}: no such commit in ${root}`);
  }
  const subject = git('log', '-1', '--format=%s', sha);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-baseline-'));
  log(`baseline ${sha.slice(0, 7)} ("${subject.slice(0, 60)}"): git archive into ${dir}, then its own scripts/build.mjs...`);
  const archive = spawnSync('git', ['-C', root, 'archive', '--format=tar', sha], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${sha}: ${archive.stderr}`);
  const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (tar.status !== 0) throw new Error(`tar -x into ${dir}: ${tar.stderr}`);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the baseline's scripts/build.mjs failed (exit ${build.status}):\n${build.stderr}`);
  if (!fs.existsSync(path.join(dir, 'out/src/spawnsites/index.js'))) throw new Error(`the baseline's build made no out/src/spawnsites/index.js`);
  return { dir, sha, subject };
}
