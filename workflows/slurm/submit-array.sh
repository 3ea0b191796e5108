#!/usr/bin/env bash
# Submit the array sweep and its merge (which runs after every array task ended, even failed
# ones), with one set of settings for both.
#   workflows/slurm/submit-array.sh [sbatch options...]
# --array=SPEC (or -a SPEC) goes to the array only (default: 1..GDL_SHARDS, or 1..n); every
# other option (--account, --partition, --qos, --time, --export, --chdir, --output, ...) goes
# to both jobs. GDL_* variables set the plan for both (see sweep-array.sbatch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

array=""
common=()
while [ $# -gt 0 ]; do
    case "$1" in
        --array=*) array="${1#--array=}" ;;
        --array|-a) array="$2"; shift ;;
        *) common+=("$1") ;;
    esac
    shift
done

if [ -z "${GDL_N:-}" ]; then
    if [ "${GDL_DOMAIN:-1000}" = "200" ]; then n=240; else n=78; fi
else
    n=$GDL_N
fi
shards=${GDL_SHARDS:-$n}
if [ -z "$array" ]; then
    array="${GDL_SHARD_BASE:-1}-$(( shards - 1 + ${GDL_SHARD_BASE:-1} ))"
fi
export GDL_SHARDS=$shards

jid=$(sbatch --parsable "${common[@]}" --array="$array" "$here/sweep-array.sbatch")
mid=$(sbatch --parsable "${common[@]}" --dependency="afterany:${jid%%;*}" "$here/merge.sbatch")
echo "array job ${jid%%;*} (${array} of ${shards} shards); merge job ${mid%%;*} runs after it"
