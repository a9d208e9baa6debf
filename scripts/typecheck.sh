#!/usr/bin/env bash
# mypy with django-stubs, strict on the packages below (pyproject.toml [tool.mypy]).
# A listed package that does not exist yet on this branch is left out, not an error.
set -euo pipefail
cd "$(dirname "$0")/.."
STRICT_PACKAGES=(credits/services craftplatform/jobs)
targets=()
for package in "${STRICT_PACKAGES[@]}"; do
  if [ -e "$package" ] || [ -e "$package.py" ]; then
    targets+=("$package")
  else
    echo "typecheck: $package does not exist here; skipped"
  fi
done
exec .venv/bin/mypy "${targets[@]}"
