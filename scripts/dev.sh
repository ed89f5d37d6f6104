#!/usr/bin/env bash
# The one entry point for a fresh machine that has only Node and npm.
#   bash scripts/dev.sh start   install, build, start the CMS with its embedded worker
#   bash scripts/dev.sh demo    install, build, make a GIF and a WebP from a generated clip with the CLI
#   bash scripts/dev.sh test    install, build, lint and run every test
#   bash scripts/dev.sh bench   install, build, run the benchmarks and rewrite BENCHMARKS.md (add --small for a quick run)
#   bash scripts/dev.sh reliability   install, build, run the fault, load and scale-out tests at full scale
#   bash scripts/dev.sh install-test  install, build, then install the packed packages into a new Strapi app (docs/own-app.md)
# It brings Node 24 (npm package node-<os>-<arch>) when the Node on PATH is older than 22.12,
# and a pinned pnpm through npm, because Corepack can't verify pnpm on offline machines.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
NODE_VERSION=24.21.0
PNPM_VERSION=10.34.9
cd "$ROOT"

node_is_recent() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

if ! node_is_recent; then
  pkg="node-$(node -p process.platform)-$(node -p process.arch)"
  bin="$TOOLS/node/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    echo "› Node $(node -v 2>/dev/null || echo none) is older than 22.12: installing $pkg@$NODE_VERSION into .tools/"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "$pkg@$NODE_VERSION"
  fi
  export PATH="$bin:$PATH"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$TOOLS/pnpm/node_modules/.bin/pnpm" ]; then
    echo "› installing pnpm@$PNPM_VERSION into .tools/"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION"
  fi
  export PATH="$TOOLS/pnpm/node_modules/.bin:$PATH"
fi
export STRAPI_TELEMETRY_DISABLED=true
echo "› node $(node -v), pnpm $(pnpm --version)"

# The worker decodes untrusted media: it prefers the system's ffmpeg, which gets security updates,
# to the 2018 static build from npm (docs/running-ffmpeg-safely.md). gifsicle makes balanced GIFs
# 3–11 % smaller, losslessly; without it they keep ffmpeg's bytes.
case "${1:-start}" in
  start | test | demo | bench | reliability | install-test)
    if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1 || ! command -v gifsicle >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "› installing Debian's ffmpeg and gifsicle (the worker's default; the npm ffmpeg is from 2018)"
        apt-get update -qq && apt-get install -y -qq ffmpeg gifsicle
      else
        echo "› ffmpeg or gifsicle is not on PATH: sudo apt-get install -y ffmpeg gifsicle (without ffmpeg the worker falls back to the 2018 npm build)" >&2
      fi
    fi
    ;;
esac

pnpm install --frozen-lockfile --prefer-offline
pnpm turbo run build --output-logs=errors-only

case "${1:-start}" in
  test)
    # The admin panel's browser tests drive Debian's Chromium (never a downloaded browser); the font
    # draws the Simplified Chinese screenshots.
    if ! command -v chromium >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "› installing Debian's chromium for the admin panel's browser tests"
        apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei
      else
        echo "› chromium is missing: the admin browser tests will fail (sudo apt-get install -y chromium)" >&2
      fi
    fi
    pnpm biome check .
    # The import graph: no cycles, the plugin and the worker apart, the core pure (.dependency-cruiser.cjs).
    pnpm run lint:imports
    pnpm turbo run typecheck --output-logs=errors-only
    # One package at a time: the tests start ffmpeg and Postgres, and the machines have 2 cores.
    pnpm turbo run test --concurrency=1
    ;;
  demo)
    pnpm --filter @dynamic-image/worker run demo
    ;;
  bench)
    shift
    pnpm --filter @dynamic-image/bench run bench "$@"
    ;;
  reliability)
    # The heavy versions of test/e2e/{faults,postgres-restart,load,scale-out}.test.ts; npm test runs
    # them small. Scale-out needs root for network namespaces.
    pnpm --filter @dynamic-image/e2e run reliability
    ;;
  install-test)
    # Native modules a new app builds (none on Postgres today) must compile against the Node that runs them,
    # not the headers npm may be set to (FIELD-NOTES: nodedir).
    export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
    pnpm --filter @dynamic-image/e2e run install-lane
    ;;
  start)
    # Embedded Postgres in apps/cms/.data when DATABASE_URL is unset. exec, not `pnpm --filter cms start`:
    # pnpm reports a Ctrl-C as ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL, which reads like a crash; start.mjs
    # stops Strapi, then Postgres, and exits 0 after a shutdown it was asked for.
    cd apps/cms
    exec node scripts/start.mjs start
    ;;
  *)
    echo "usage: scripts/dev.sh start|demo|test|bench|reliability|install-test" >&2
    exit 2
    ;;
esac
