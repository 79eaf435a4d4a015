#!/usr/bin/env bash
# Installs the Debian 12 packages crucible needs, skipping those already
# present. Run as root (or with sudo available).
#
#   install-deps.sh          what building and running the crucible binary needs
#   install-deps.sh --test   that, and what the tests and benchmarks need:
#                            GoogleTest/GMock, Google Benchmark, chromium and
#                            Node.js/npm (the dashboard's browser test), Slurm
#                            and munge (the Slurm executor's tests), numpy and
#                            scipy (the OpenEvolve example tasks the tests run),
#                            clang-15 and libFuzzer (scripts/fuzz.sh)
set -euo pipefail

with_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) with_tests=1 ;;
    *) echo "usage: $0 [--test]" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git python3 procps lld
  python3-dev  # the warm Python worker's compiled loop (src/evaluate/warm_fork.cc); without it, its pure-Python loop
  libsqlite3-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev libxxhash-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  libpagmo-dev  # search strategies (src/search/, docs/search.md) and constant tuning (src/propose/tune/); brings Eigen, Boost.Serialization, TBB
  bubblewrap
)
if [ "$with_tests" -eq 1 ]; then
  packages+=(
    libgtest-dev libgmock-dev libbenchmark-dev
    chromium
    slurm-wlm munge
    python3-numpy python3-scipy
    clang-15 libfuzzer-15-dev
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (the dashboard's browser test): Debian's, unless a node is
# already installed (a NodeSource node bundles its own npm).
if [ "$with_tests" -eq 1 ]; then
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The dashboard's browser test drives Debian's chromium with playwright-core
# from the npm registry (pinned in tests/dashboard_e2e/package-lock.json; no
# browser download).
if [ "$with_tests" -eq 1 ]; then
  e2e_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/dashboard_e2e"
  if [ ! -d "$e2e_dir/node_modules/playwright-core" ]; then
    echo "install-deps: npm ci in $e2e_dir"
    (cd "$e2e_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
fi
