/**
 * `sites DIR --sarif` and `--check`, run as a user runs them: the built CLI (dist/cli.js, so
 * `node scripts/build.mjs` first) on the spawn-site fixtures. The log is checked against the
 * SARIF 2.1.0 JSON schema that the SARIF SDK ships in its npm package
 * (@microsoft/sarif-multitool-<platform>/sarif-2.1.0.json) with ajv, and, where the package's
 * binary runs (Linux x64 here), by the SDK's own `Sarif.Multitool validate`.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import { buildSarif, FINGERPRINT_KEY } from '../../src/spawnsites/sarif';
import type { SiteFinding } from '../../src/spawnsites/types';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/cli.js');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites');

/** The SARIF SDK's package for this platform: its schema file and its validator binary. */
const MULTITOOL = path.dirname(require.resolve(`@microsoft/sarif-multitool-${process.platform}/package.json`));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'sites', '--no-cache', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}
interface PhysicalLocation {
  artifactLocation: { uri: string; uriBaseId: string };
  region: Region;
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: PhysicalLocation }[];
  relatedLocations?: { id: number; physicalLocation: PhysicalLocation; message: { text: string } }[];
  fixes?: { description: { text: string }; artifactChanges: { artifactLocation: { uri: string }; replacements: { deletedRegion: Region; insertedContent: { text: string } }[] }[] }[];
  partialFingerprints: Record<string, string>;
}
interface Log {
  version: string;
  runs: { tool: { driver: { name: string; version: string; rules: { id: string }[] } }; originalUriBaseIds: Record<string, { uri: string }>; columnKind: string; results: Result[] }[];
}

function validator() {
  const schema = JSON.parse(fs.readFileSync(path.join(MULTITOOL, 'sarif-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** `text` with `r` (1-based, end exclusive, UTF-16 columns) replaced by `insert`. */
function applyReplacement(text: string, r: Region, insert: string): string {
  const lines = text.split('\n');
  const offset = (line: number, col: number) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  return text.slice(0, offset(r.startLine, r.startColumn)) + insert + text.slice(offset(r.endLine, r.endColumn));
}

describe('process-inspector sites --sarif', function () {
  this.timeout(120000);
  let out: ReturnType<typeof cli>;
  let log: Log;
  let findings: SiteFinding[];

  before(async () => {
    out = cli(FIXTURES, '--sarif');
    log = JSON.parse(out.stdout) as Log;
    const index = new SpawnSiteIndex();
    await index.indexDirectory(FIXTURES);
    findings = index.findings();
  });

  it('validates against the SARIF 2.1.0 JSON schema (sarif-multitool sarif-2.1.0.json, ajv): zero errors', () => {
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '');
    const validate = validator();
    const ok = validate(log);
    assert.deepEqual(validate.errors ?? [], [], 'schema errors');
    assert.equal(ok, true);
    // Not vacuous: the schema does reject a log whose region lost a required-by-type field.
    const broken = JSON.parse(out.stdout) as { runs: { results: { locations: { physicalLocation: { region: Record<string, unknown> } }[] }[] }[] };
    broken.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    assert.equal(validate(broken), false);
  });

  it("passes the SARIF SDK's own validator (Sarif.Multitool validate) with no error", function () {
    const bin = path.join(MULTITOOL, 'Sarif.Multitool');
    if (!fs.existsSync(bin) || process.arch !== 'x64') this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sarif-'));
    try {
      const file = path.join(dir, 'sites.sarif');
      fs.writeFileSync(file, out.stdout);
      const r = spawnSync(bin, ['validate', file], { encoding: 'utf8', env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' } });
      const report = `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`;
      assert.equal(r.status, 0, report);
      assert.match(report, /Analysis completed successfully/);
      assert.doesNotMatch(report, /: error /, report);
      // The one warning it gives is SARIF2005 (no informationUri: the project has no public home
      // page to point at). Any other warning is something to fix here.
      const warnings = report.split('\n').filter((l) => /: warning /.test(l));
      for (const w of warnings) assert.match(w, /warning SARIF2005:/, w);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has one run, the tool and a rule for every finding code, DIR as %SRCROOT%, UTF-16 columns', () => {
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    assert.equal(run.tool.driver.name, 'process-inspector');
    assert.equal(run.tool.driver.version, (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
    assert.equal(run.columnKind, 'utf16CodeUnits');
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: `file://${FIXTURES}/` } });
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
  });

  it('gives every warning finding exactly one result at its file:line, with its related locations and its fix', () => {
    const results = log.runs[0].results;
    const warnings = findings.filter((f) => f.severity === 'warning');
    assert.ok(warnings.length >= 30, `${warnings.length} warnings in the fixtures`);
    assert.equal(results.length, findings.length);
    // The sites --json of the same DIR: each finding is about a site it lists as not waited for.
    const sites = (JSON.parse(cli(FIXTURES, '--json').stdout) as { sites: { file: string; line: number; waited: string }[] }).sites;
    for (const f of warnings) {
      const uri = path.relative(FIXTURES, f.file).split(path.sep).join('/');
      const at = results.filter((r) => r.ruleId === f.code && r.locations[0].physicalLocation.artifactLocation.uri === uri && r.locations[0].physicalLocation.region.startLine === f.range.startLine);
      assert.equal(at.length, 1, `${uri}:${f.range.startLine} ${f.code}`);
      const r = at[0];
      assert.equal(r.level, 'warning');
      assert.equal(r.message.text, f.message);
      assert.deepEqual(r.locations[0].physicalLocation.region, f.range);
      assert.equal(sites.filter((s) => s.file === path.relative(FIXTURES, f.site.file).split(path.sep).join('/') && s.line === f.site.line && s.waited === 'no').length, 1, `${uri}:${f.site.line} in sites --json`);
      assert.deepEqual(
        (r.relatedLocations ?? []).map((l) => ({ uri: l.physicalLocation.artifactLocation.uri, range: l.physicalLocation.region, message: l.message.text })),
        (f.related ?? []).map((l) => ({ uri, range: l.range, message: l.message })),
      );
      assert.equal(new Set((r.relatedLocations ?? []).map((l) => l.id)).size, (r.relatedLocations ?? []).length, 'related ids unique');
      assert.equal(r.fixes?.length ?? 0, f.fix ? 1 : 0, `${uri}:${f.range.startLine} fix`);
    }
    assert.ok(results.filter((r) => r.relatedLocations).length >= 5, 'the fixtures have findings with related locations');
    assert.ok(results.filter((r) => r.fixes).length >= 3, 'the fixtures have findings with fixes');
  });

  it("applies each fix at the right columns: Start() becomes Run(), the inserted Wait() lands on its own", () => {
    const withFix = log.runs[0].results.filter((r) => r.fixes);
    const kinds = new Set<string>();
    for (const r of withFix) {
      const change = r.fixes![0].artifactChanges[0];
      const file = path.join(FIXTURES, change.artifactLocation.uri);
      const before = fs.readFileSync(file, 'utf8');
      let after = before;
      // Replacements apply from the last to the first, so earlier coordinates stay valid.
      for (const rep of [...change.replacements].reverse()) after = applyReplacement(after, rep.deletedRegion, rep.insertedContent.text);
      const line = r.locations[0].physicalLocation.region.startLine;
      if (/Run\(\)/.test(r.fixes![0].description.text)) {
        kinds.add('run');
        assert.match(before.split('\n')[line - 1], /\.Start\(\)/);
        assert.match(after.split('\n')[line - 1], /\.Run\(\)/, `${change.artifactLocation.uri}:${line}`);
        assert.doesNotMatch(after.split('\n')[line - 1], /Start/);
      } else {
        kinds.add('wait');
        // "Insert x.Wait() before this return": an empty region at the start of the return's line.
        const rep = change.replacements[0];
        assert.equal(rep.deletedRegion.startColumn, rep.deletedRegion.endColumn);
        const at = rep.deletedRegion.startLine;
        assert.match(before.split('\n')[at - 1], /^\s*return\b/, `${change.artifactLocation.uri}:${at}`);
        assert.equal(`${after.split('\n')[at - 1]}\n`, rep.insertedContent.text);
        assert.match(after.split('\n')[at - 1], /^\s+(_, )?_ = \w+\.Wait\(\)$/);
        assert.match(after.split('\n')[at], /^\s*return\b/);
      }
    }
    assert.deepEqual([...kinds].sort(), ['run', 'wait'], 'both kinds of fix are among the fixtures');
  });

  it('keeps each fingerprint when lines move, and gives each result its own', () => {
    const prints = log.runs[0].results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    assert.ok(prints.every((p) => /^[0-9a-f]{32}:\d+$/.test(p)));
    assert.equal(new Set(prints).size, prints.length, 'unique');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sarif-move-'));
    try {
      fs.cpSync(path.join(FIXTURES, 'go/leaks'), path.join(dir, 'leaks'), { recursive: true });
      const first = JSON.parse(cli(dir, '--sarif').stdout) as Log;
      const file = path.join(dir, 'leaks/leaks.go');
      // Three lines pushed in after the imports of leaks.go: each of its results moves down, none is new
      // (the other files of the package stay where they are).
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('\nconst worker', '\n// moved\n// down\n// three\nconst worker'));
      const second = JSON.parse(cli(dir, '--sarif').stdout) as Log;
      const key = (r: Result) => r.partialFingerprints[FINGERPRINT_KEY];
      const a = first.runs[0].results;
      const b = second.runs[0].results;
      assert.ok(a.length >= 5);
      assert.deepEqual(b.map(key), a.map(key));
      assert.deepEqual(
        b.map((r) => r.locations[0].physicalLocation.region.startLine),
        a.map((r) => r.locations[0].physicalLocation.region.startLine + (r.locations[0].physicalLocation.artifactLocation.uri.endsWith('leaks/leaks.go') ? 3 : 0)),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes an information-level finding a note (no scanner emits one yet: the fixtures\' findings, relabelled)', () => {
    const infos = findings.map((f) => ({ ...f, severity: 'information' as const }));
    const built = buildSarif(infos, { root: FIXTURES, version: 'dev', source: (f) => fs.readFileSync(f, 'utf8') }) as unknown as Log;
    assert.deepEqual([...new Set(built.runs[0].results.map((r) => r.level))], ['note']);
    assert.equal(built.runs[0].tool.driver.version, 'dev');
    const validate = validator();
    assert.equal(validate(built), true, JSON.stringify(validate.errors));
  });

  it('--check exits 4 on a warning, with every output format, and 0 on correct code', () => {
    for (const format of [['--sarif'], ['--json'], []]) {
      const r = cli(FIXTURES, '--check', ...format);
      assert.equal(r.code, 4, `--check ${format.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0, 'the output is printed all the same');
    }
    // The fixture of correct Go code has sites (waited for or unknown) and no finding.
    const correct = path.join(FIXTURES, 'go/correct');
    const listing = cli(correct, '--check');
    assert.equal(listing.code, 0, listing.stdout);
    assert.match(listing.stdout, /\d+ sites in \d+ files: 0 not waited for/);
    const clean = cli(correct, '--check', '--sarif');
    assert.equal(clean.code, 0);
    assert.deepEqual((JSON.parse(clean.stdout) as Log).runs[0].results, []);
    // And a directory made here with one correct Go file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sarif-ok-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport "os/exec"\n\nfunc main() {\n\tcmd := exec.Command("true")\n\tif err := cmd.Start(); err != nil {\n\t\treturn\n\t}\n\t_ = cmd.Wait()\n}\n');
      const r = cli(dir, '--check', '--sarif');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(validator()(JSON.parse(r.stdout)), true);
      assert.match(cli(dir).stdout, /1 site in 1 file: 0 not waited for/);
      // Without --check, findings do not change the exit status.
      assert.equal(cli(FIXTURES, '--sarif').code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses --sarif with --json (exit 2), and --sarif or --check outside sites', () => {
    const r = cli(FIXTURES, '--sarif', '--json');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--json and --sarif are two output formats/);
    for (const argv of [['tree', '--sarif'], ['zombies', '--check']]) {
      const t = spawnSync(process.execPath, [CLI, ...argv], { encoding: 'utf8' });
      assert.equal(t.status, 2, argv.join(' '));
      assert.match(t.stderr, /goes with sites/);
    }
    const help = spawnSync(process.execPath, [CLI, 'sites', '--help'], { encoding: 'utf8' });
    assert.match(help.stdout, /--sarif/);
    assert.match(help.stdout, /--check +exit 4 when any warning is found/);
  });
});
