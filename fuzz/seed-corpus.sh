#!/usr/bin/env bash
# Seeds the fuzz corpus with every shipped and broken scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/scenario
cp scenarios/*/*.toml tests/bad_inputs/*.toml tests/fixtures/base.toml fuzz/corpus/scenario/
