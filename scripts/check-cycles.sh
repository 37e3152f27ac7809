#!/usr/bin/env bash
# Fails on any import cycle among the TypeScript that runs on Node, type-only imports included
# (docs/architecture.md: imports point one way). dpdm reads the imports; --exit-code makes a cycle fatal.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx dpdm --no-warning --no-tree --exit-code circular:1 \
  'cli/**/*.ts' 'analyze/**/*.ts' 'demo/**/*.ts' 'dev/**/*.ts' 'control-plane/**/*.ts' 'proxy/**/*.ts' 'bench/**/*.ts' \
  'host-sim/**/*.ts' 'registry/**/*.ts' 'builder/**/*.ts' 'scaffold/**/*.ts' 'envoy-api/**/*.ts' 'logging/**/*.ts'
