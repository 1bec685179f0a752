#!/bin/sh
# The image's entry point: `ybss-entrypoint <context>` serves that bounded context (python -m services.<context>);
# anything else is a `ybss` command (`relay --context address`, `rebuild ...`, `topics`): python -m services.kernel.operations.cli.
set -eu
if [ "$#" -eq 0 ]; then
    echo "usage: ybss-entrypoint <context> | <ybss command> [arguments]" >&2
    exit 64
fi
if python -c 'import sys; from contracts.contexts import names; sys.exit(sys.argv[1] not in names())' "$1"; then
    exec python -m "services.$1"
fi
exec python -m services.kernel.operations.cli "$@"
