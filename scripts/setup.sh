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
debs=(chromium golang-go delve python3-debugpy gdb strace ripgrep libkrb5-dev procps)
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
cd "$here"
stamp="node_modules/.package-lock.json"
if [ -f "$stamp" ] && cmp -s <(node -e 'const l=require("./package-lock.json");console.log(JSON.stringify(Object.keys(l.packages).sort()))') \
                              <(node -e 'const l=require("./node_modules/.package-lock.json");console.log(JSON.stringify(Object.keys(l.packages).filter(k=>k).concat([""]).sort()))'); then
  log "npm dependencies: ok"
else
  log "npm dependencies: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- code-server -------------------------------------------------------------------------------
if [ -f "$cs_root/.complete" ]; then
  log "code-server $CODE_SERVER_VERSION: ok ($cs_root)"
else
  log "code-server $CODE_SERVER_VERSION: installing into $cs_root (a few minutes, once)"
  rm -rf "$cs_root"; mkdir -p "$cs_root"
  cd "$cs_root"
  echo '{"name":"pi-code-server","private":true}' > package.json
  npm install --no-audit --no-fund --loglevel=error --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  cs="$cs_root/node_modules/code-server"
  cd "$cs/lib/vscode"
  npm install --no-audit --no-fund --loglevel=error --omit=dev --ignore-scripts
  # @vscode/ripgrep's postinstall downloads rg from GitHub: use Debian's.
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # Native modules, built against this Node (node-pty's compile_commands step fails harmlessly).
  npm rebuild --loglevel=error @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid >/dev/null 2>&1 || true
  test -n "$(find node_modules/node-pty -name pty.node | head -1)" || { log "node-pty did not build"; exit 1; }
  ln -sfn node_modules node_modules.asar
  (cd "$cs/lib/vscode/bin/remote-cli" && ln -sfn code-linux.sh code-server)
  (cd "$cs/lib/vscode/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
  (cd "$cs/lib/vscode/extensions" && npm install --no-audit --no-fund --loglevel=error --omit=dev)
  (cd "$cs" && npm rebuild --loglevel=error argon2)
  touch "$cs_root/.complete"
  log "code-server $CODE_SERVER_VERSION: installed"
fi
echo "$cs_root/node_modules/code-server"
