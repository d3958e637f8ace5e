// The spawn loops of the recorders benchmark (bench/recorders.mjs), one per runtime. Each is a
// program that runs N spawns of `true`, each waited, and prints "WALL_NS CPU_NS MINFLT" for the
// loop alone (interpreter start-up and compilation left out): wall clock, the parent's own CPU
// time, user + system, from getrusage(RUSAGE_SELF) (where every recorder's record is made; the load
// of other processes disturbs it less than the wall clock), and the parent's minor page faults
// (counted, not timed: a recorder's writes after each fork show there whatever the load). The C
// loop (bench/lib/spawnloop.c) prints more: wall, time in the spawn call, parent CPU, children's
// CPU, parent page faults, children's page faults.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const GO_LOOP = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

func usage() (int64, int64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano(), ru.Minflt
}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	c, f := usage()
	t := time.Now()
	for i := 0; i < n; i++ {
		if err := exec.Command("true").Run(); err != nil {
			panic(err)
		}
	}
	wall := time.Since(t).Nanoseconds()
	c2, f2 := usage()
	fmt.Println(wall, c2-c, f2-f)
}
`;

export const PYTHON_LOOP = `import resource, subprocess, sys, time
def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * 1e9), r.ru_minflt
n = int(sys.argv[1])
c, f = usage()
t = time.perf_counter_ns()
for _ in range(n):
    subprocess.run(['true'])
wall = time.perf_counter_ns() - t
c2, f2 = usage()
print(wall, c2 - c, f2 - f)
`;

export const NODE_LOOP = `const { spawn } = require('child_process');
const n = Number(process.argv[2]);
(async () => {
  const f = process.resourceUsage().minorPageFault;
  const t = process.hrtime.bigint();
  const c = process.cpuUsage(); // getrusage(RUSAGE_SELF)
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => spawn('true', { stdio: 'ignore' }).on('exit', resolve).on('error', reject));
  }
  const used = process.cpuUsage(c);
  console.log(String(process.hrtime.bigint() - t), (used.user + used.system) * 1000, process.resourceUsage().minorPageFault - f);
})();
`;

/** Writes the Go loop's module into dir; returns a function that builds it with the given flags. */
export function goLoop(dir, env) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module bench\n\ngo 1.19\n');
  fs.writeFileSync(path.join(dir, 'main.go'), GO_LOOP);
  /** Builds into out with GOCACHE=gocache; returns the build's wall time in ms. */
  return (flags, gocache, out) => {
    const t = process.hrtime.bigint();
    execFileSync('go', ['build', ...flags, '-o', out, '.'], { cwd: dir, env: { ...env, GOCACHE: gocache }, stdio: ['ignore', 'ignore', 'inherit'] });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
}
