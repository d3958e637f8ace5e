// Builds leak.c with the system C compiler and runs it as a child of this Node process, so the
// "Node: C zombies" launch config shows zombies two levels below the debugged program
// (node -> leak -> <defunct> children) without needing a C debugger extension.
'use strict';
const { execFileSync, spawn } = require('child_process');
const path = require('path');
const os = require('os');

const fs = require('fs');

// Named c-zombies so the process list shows that (comm keeps 15 characters).
const dir = path.join(os.tmpdir(), 'pi-demo-c');
fs.mkdirSync(dir, { recursive: true });
const bin = path.join(dir, 'c-zombies');
execFileSync('cc', ['-g', '-O0', '-o', bin, path.join(__dirname, 'leak.c')], { stdio: 'inherit' });
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
child.on('exit', (code, signal) => { console.log(`leak exited (${signal || code})`); });
