// Builds everything with esbuild:
//   dist/extension.js  the extension, one bundle, `vscode` external
//   dist/cli.js        the command line, one bundle with a shebang
//   out/**             src/ and test/ transpiled file by file, for mocha (unit tier, the
//                      extension-host suites and the UI tests).
// Type checking is `npm run typecheck` (tsc --noEmit); esbuild does not type-check.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, chmodSync, readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const production = process.argv.includes('--production');
const root = new URL('..', import.meta.url).pathname;

function tsFiles(dir) {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) return name === 'fixtures' ? [] : tsFiles(rel);
    return rel.endsWith('.ts') && !rel.endsWith('.d.ts') ? [rel] : [];
  });
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// The build of the spawn-site scanners, which a saved index must come from to be reused
// (src/spawnsites/snapshot.ts): their sources and the version, hashed.
const indexHash = createHash('sha1').update(pkg.version);
for (const file of tsFiles('src/spawnsites').sort()) indexHash.update(file).update(readFileSync(join(root, file)));
const define = { PI_INDEX_BUILD: JSON.stringify(indexHash.digest('hex').slice(0, 16)) };
const common = { platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production, logLevel: 'warning', absWorkingDir: root, define };

// src/cli/main.ts imports './sites' (the spawn-site engine) and './run' (`run` and the recorders)
// only when a command needs them: in the CLI bundle those imports stay run-time imports of
// bundles of their own, so that `zombies` and `tree` never compile them at start.
const CLI_APART = { './sites': { entry: 'src/cli/sites.ts', out: 'cli-sites.js' }, './run': { entry: 'src/cli/run.ts', out: 'cli-run.js' } };
const cliApart = {
  name: 'cli-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/(sites|run)$/ }, (a) => (a.importer.endsWith(join('src', 'cli', 'main.ts')) ? { path: `./${CLI_APART[a.path].out}`, external: true } : undefined));
  },
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['src/extension.ts'], bundle: true, external: ['vscode'], outfile: 'dist/extension.js', minify: production }),
  esbuild.build({ ...common, entryPoints: ['src/cli.ts'], bundle: true, external: ['vscode'], outfile: 'dist/cli.js', minify: production,
    banner: { js: '#!/usr/bin/env node' }, define: { ...define, PI_VERSION: JSON.stringify(pkg.version) }, plugins: [cliApart] }),
  // The parts of the CLI loaded by dist/cli.js only when a command needs them.
  ...Object.values(CLI_APART).map((p) => esbuild.build({ ...common, entryPoints: [p.entry], bundle: true, external: ['vscode'], outfile: `dist/${p.out}`, minify: production,
    define: { ...define, PI_VERSION: JSON.stringify(pkg.version) } })),
  production ? null : esbuild.build({ ...common, entryPoints: [...tsFiles('src'), ...tsFiles('test')], outdir: 'out', outbase: '.' }),
]);
chmodSync(join(root, 'dist/cli.js'), 0o755);

// Tree-sitter's runtime and the grammars the spawn-site index parses with, beside the bundles:
// src/spawnsites/parser.ts looks for dist/wasm/ first (a packaged extension has no node_modules).
mkdirSync(join(root, 'dist/wasm'), { recursive: true });
copyFileSync(join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm'), join(root, 'dist/wasm/tree-sitter.wasm'));
for (const grammar of ['go', 'c', 'cpp', 'python', 'javascript', 'typescript', 'tsx', 'rust']) {
  const file = `tree-sitter-${grammar}.wasm`;
  copyFileSync(join(root, 'node_modules/tree-sitter-wasms/out', file), join(root, 'dist/wasm', file));
}
// The recorders' non-TypeScript sources (src/record/assets.ts finds them in dist/record/).
mkdirSync(join(root, 'dist/record'), { recursive: true });
for (const file of readdirSync(join(root, 'src/record/assets'))) copyFileSync(join(root, 'src/record/assets', file), join(root, 'dist/record', file));
