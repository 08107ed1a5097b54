#!/usr/bin/env bash
# Runs an iomtsim sweep on a Slurm cluster: a job array of N shards, then a
# merge that starts once every shard has succeeded.
#
#   deploy/slurm/submit.sh SWEEP.toml OUT N [sbatch options...]
#
# e.g. `deploy/slurm/submit.sh scenarios/sweeps/patching-and-speed.toml
# out/study 4 --cpus-per-task=2`. Prints the array's and the merge's job
# ids; the merged sweep lands in OUT/merged. IOMTSIM and IOMTSIM_ARGS are
# passed on (see sweep.sbatch).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 SWEEP.toml OUT N [sbatch options...]" >&2
  exit 2
fi
sweep=$(realpath "$1") out=$(realpath -m "$2") n=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
array=$(sbatch --parsable --array="1-$n" --chdir="$out" --export="ALL,SWEEP=$sweep,OUT=$out" "$@" "$here/sweep.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --chdir="$out" --export="ALL,OUT=$out" "$@" "$here/merge.sbatch")
echo "$array ${merge%%;*}"
