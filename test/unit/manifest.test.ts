/** package.json against the ids in src/ids.ts: the two must never drift apart. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Commands, ContextKeys, ItemContext, Views } from '../../src/ids';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
const c = pkg.contributes;

describe('package.json manifest', () => {
  it('has the fixed names other parts of the project rely on', () => {
    assert.equal(pkg.name, 'process-inspector');
    assert.equal(pkg.displayName, 'Process Inspector');
    assert.deepEqual(pkg.bin, { 'process-inspector': 'dist/cli.js' });
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    const find = c.commands.find((x: { command: string }) => x.command === 'processInspector.findZombies');
    assert.deepEqual([find.title, find.category], ['Find Zombies', 'Process Inspector']);
    assert.deepEqual(c.views.debug.map((v: { id: string; name: string }) => [v.id, v.name]), [['processInspector.processes', 'Processes']]);
  });

  it('targets a VS Code we can run (<= 1.100) with matching @types/vscode', () => {
    assert.match(pkg.engines.vscode, /^\^1\.(\d|[1-9]\d|100)\.\d+$/);
    assert.ok(Number(pkg.engines.vscode.split('.')[1]) <= 100);
    assert.match(pkg.devDependencies['@types/vscode'], /^[~^]?1\.(\d|[1-9]\d|100)\.\d+$/);
  });

  it('contributes exactly the commands src/ids.ts names, all namespaced', () => {
    const contributed = c.commands.map((x: { command: string }) => x.command).sort();
    assert.deepEqual(contributed, Object.values(Commands).sort());
    for (const id of contributed) assert.match(id, /^processInspector\./);
    for (const key of Object.keys(c.configuration.properties)) assert.match(key, /^processInspector\./);
  });

  it('uses only known view ids, context keys and item contexts in when clauses', () => {
    const whens: string[] = Object.values(c.menus).flatMap((items) => (items as { when?: string }[]).map((i) => i.when ?? ''));
    const contexts = Object.values(ItemContext);
    for (const w of whens) {
      for (const m of w.matchAll(/view == ([\w.]+)/g)) assert.equal(m[1], Views.Processes, w);
      for (const m of w.matchAll(/\^(processInspector:[\w(|)]+)/g)) {
        const alternatives = m[1].replace(/[()]/g, '').split(':')[1].split('|');
        for (const a of alternatives) assert.ok(contexts.some((ctx) => ctx === `processInspector:${a}`), `${a} in ${w}`);
      }
      for (const m of w.matchAll(/(processInspector\.\w+)/g)) {
        if (m[1] !== Views.Processes) assert.equal(m[1], ContextKeys.FilterZombies, w);
      }
    }
    assert.equal(c.viewsWelcome[0].view, Views.Processes);
  });

  it('activates lazily: on a debug session (plus the implicit view and command events)', () => {
    assert.deepEqual(pkg.activationEvents, ['onDebug']);
  });
});
