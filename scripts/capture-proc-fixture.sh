#!/usr/bin/env bash
# Captures a process's /proc files into test/fixtures/proc/NAME/, for parser tests that run on
# any machine.   usage: scripts/capture-proc-fixture.sh PID NAME
set -euo pipefail
pid=$1; name=$2
dir="$(dirname "$0")/../test/fixtures/proc/$name"
mkdir -p "$dir"
for f in stat status wchan cmdline; do cat "/proc/$pid/$f" > "$dir/$f" 2>/dev/null || true; done
uname -r > "$dir/kernel"
echo "captured $pid into $dir"
