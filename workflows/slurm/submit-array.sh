#!/usr/bin/env bash
# Submit the array sweep and its merge (run after every array task ended, even failed ones).
# Usage: workflows/slurm/submit-array.sh [extra sbatch options for the array, e.g. --array=1-20]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jid=$(sbatch --parsable "$@" "$here/sweep-array.sbatch")
sbatch --dependency="afterany:${jid}" "$here/merge.sbatch"
echo "array job ${jid}; merge runs after it"
