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
