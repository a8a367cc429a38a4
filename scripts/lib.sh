# Shared by scripts/start and scripts/test: find or install what a fresh machine lacks.
# shellcheck shell=bash

# uv: use the one on PATH, else install it with pip and call it as a module
# (pip may put the binary somewhere PATH does not reach yet, e.g. behind pyenv shims).
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then
    UV=(uv)
  else
    if ! python3 -m uv --version >/dev/null 2>&1; then
      echo "Installing uv with pip..." >&2
      python3 -m pip install --quiet --disable-pip-version-check uv
    fi
    UV=(python3 -m uv)
  fi
}

# Test-time Node tools (the GitHub workflow validator): installed from scripts/node's lock file.
ensure_node_tools() {
  local dir=scripts/node
  if [ ! -x "$dir/node_modules/.bin/action-validator" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "Installing test tools with npm..." >&2
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

# Chromium for the browser tests (Debian's package; Playwright drives it, downloads nothing).
ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium with apt-get..." >&2
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium: install it (sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
    exit 1
  fi
}
