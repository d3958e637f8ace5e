#!/usr/bin/env bash
# Installs everything Process Inspector needs to build, test and run its demo, and nothing twice.
#
#   - Debian packages (when root): Chromium for the UI tests, Go + Delve, debugpy, gdb/strace,
#     ripgrep (code-server's search and the index benchmark), libkrb5-dev (to build code-server's
#     kerberos module).
#   - npm dependencies of this repository (npm ci, skipped when node_modules matches the lock).
#   - code-server 4.100.3 (the real VS Code 1.100.3 workbench and extension host), installed
#     offline-safe into a cache outside the repository: $PI_CACHE (default ~/.cache/process-inspector).
#     Its postinstall downloads binaries from GitHub, which cannot work here; we do its steps by hand
#     (see ../shared/FACTS.md).
#
# Idempotent: each step checks first and prints "ok" when there is nothing to do.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
CODE_SERVER_VERSION="4.100.3"
cache="${PI_CACHE:-$HOME/.cache/process-inspector}"
cs_root="$cache/code-server-$CODE_SERVER_VERSION"
log() { printf '[setup] %s\n' "$*" >&2; }

# --- Debian packages ---------------------------------------------------------------------------
# binutils: addr2line for the native recorder's frames; lldb-16: lldb-vscode-16, a native debug
# adapter (C, C++, Rust); rustc: the Rust recorder tests (a rustup toolchain first on PATH wins);
# python3-venv: the Python recorder's venv test.
debs=(chromium golang-go delve python3-debugpy gdb strace ripgrep libkrb5-dev procps gcc libc6-dev binutils lldb-16 rustc python3-venv)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "debian packages: ok"
elif [ "$(id -u)" = 0 ]; then
  log "debian packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "debian packages missing and not root, install them yourself: sudo apt-get install ${missing[*]}"
fi

# --- npm dependencies of the repository --------------------------------------------------------
# node_modules/.pi-lock-hash holds the sha256 of the package-lock.json it was installed from.
# Fresh clone (no node_modules): npm ci. Lock changed since: npm install, which syncs the tree
# in place instead of deleting node_modules under whoever else is using this checkout.
# flock: several setups/installs may run at once in one checkout.
cd "$here"
npm_locked() { if command -v flock >/dev/null; then flock /tmp/pi-npm.lock "$@"; else "$@"; fi; }
lock_hash() { sha256sum package-lock.json | cut -d' ' -f1; }
if [ -f node_modules/.pi-lock-hash ] && [ "$(cat node_modules/.pi-lock-hash)" = "$(lock_hash)" ]; then
  log "npm dependencies: ok"
elif [ -d node_modules ]; then
  log "npm dependencies: package-lock.json changed, npm install"
  npm_locked npm install --no-audit --no-fund --loglevel=error >&2
  lock_hash > node_modules/.pi-lock-hash
else
  log "npm dependencies: npm ci"
  npm_locked npm ci --no-audit --no-fund --loglevel=error >&2
  lock_hash > node_modules/.pi-lock-hash
fi

# --- code-server -------------------------------------------------------------------------------
cs="$cs_root/node_modules/code-server"
# Its native modules must load with this Node (a half-finished install once lacked argon2's binding).
cs_healthy() { (cd "$cs" && node -e 'require("argon2"); require("./lib/vscode/node_modules/node-pty"); require("./lib/vscode/node_modules/@parcel/watcher")') >/dev/null 2>&1; }
if [ -f "$cs_root/.complete" ] && cs_healthy; then
  log "code-server $CODE_SERVER_VERSION: ok ($cs_root)"
else
  log "code-server $CODE_SERVER_VERSION: installing into $cs_root (a few minutes, once)"
  rm -rf "$cs_root"; mkdir -p "$cs_root"
  cd "$cs_root"
  echo '{"name":"pi-code-server","private":true}' > package.json
  npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION" >&2
  cd "$cs/lib/vscode"
  npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts >&2
  # @vscode/ripgrep's postinstall downloads rg from GitHub: use Debian's.
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # Native modules, built against this Node (node-pty's compile_commands step fails harmlessly).
  npm rebuild --loglevel=error @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid >/dev/null 2>&1 || true
  test -n "$(find node_modules/node-pty -name pty.node | head -1)" || { log "node-pty did not build"; exit 1; }
  ln -sfn node_modules node_modules.asar
  (cd "$cs/lib/vscode/bin/remote-cli" && ln -sfn code-linux.sh code-server)
  (cd "$cs/lib/vscode/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
  (cd "$cs/lib/vscode/extensions" && npm install --no-audit --no-fund --loglevel=error --omit=dev >&2)
  # argon2 is hoisted to $cs_root/node_modules: rebuild it from there (from $cs, npm finds nothing).
  (cd "$cs_root" && npm rebuild --loglevel=error argon2 >&2)
  cs_healthy || { log "code-server's native modules do not load"; exit 1; }
  touch "$cs_root/.complete"
  log "code-server $CODE_SERVER_VERSION: installed"
fi
echo "$cs_root/node_modules/code-server"
