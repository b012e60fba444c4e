#!/usr/bin/env bash
# Render the workflow's pictures into docs/ (needs Graphviz's `dot`: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")/.."
snakemake --rulegraph --quiet all 2>/dev/null | dot -Tsvg > docs/rulegraph.svg
snakemake --rulegraph --quiet all 2>/dev/null | dot -Tpng -Gdpi=110 > docs/rulegraph.png
snakemake --dag --quiet all 2>/dev/null | dot -Tsvg > docs/dag.svg
dot -Tsvg docs/architecture.dot > docs/architecture.svg
dot -Tpng -Gdpi=100 docs/architecture.dot > docs/architecture.png
echo "wrote docs/rulegraph.svg docs/rulegraph.png docs/dag.svg docs/architecture.svg"
