// Builds leak.c with the system C compiler and runs it as a child of this Node process, so the
// "Node: C zombies" launch config shows zombies two levels below the debugged program
// (node -> leak -> <defunct> children) without needing a C debugger extension.
'use strict';
const { execFileSync, spawn } = require('child_process');
const path = require('path');

// Named c-zombies so the process list shows that (comm keeps 15 characters). Built beside its
// source, as make would: a binary built in the workspace is one of its programs, and links its
// zombies `likely`; one outside it that only shares a name gets at most `possible`.
const bin = path.join(__dirname, 'c-zombies');
execFileSync('cc', ['-g', '-O0', '-o', bin, path.join(__dirname, 'leak.c')], { stdio: 'inherit' });
const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit' });
child.on('exit', (code, signal) => { console.log(`leak exited (${signal || code})`); });
