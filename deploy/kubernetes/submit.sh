#!/usr/bin/env bash
# Runs an iomtsim sweep on Kubernetes: an Indexed Job of N shards, then,
# once every shard has succeeded, the merge Job.
#
#   deploy/kubernetes/submit.sh SWEEP OUT N
#
# SWEEP and OUT are paths inside the pods (on the `iomtsim-data` volume,
# mounted at /data), e.g. `submit.sh /data/study/sweep.toml /data/out/study 8`.
# IMAGE (default iomtsim:latest) and IOMTSIM_ARGS (e.g. "--trials 1000")
# are passed on; KUBECTL names the client (default kubectl). Earlier Jobs
# of the same names are replaced. The merged sweep lands in OUT/merged.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 SWEEP OUT N" >&2
  exit 2
fi
sweep=$1 out=$2 n=$3
case $n in '' | *[!0-9]* | 0) echo "N must be a whole number above 0, found '$n'" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
kubectl=${KUBECTL:-kubectl}
image=${IMAGE:-iomtsim:latest}
"$kubectl" delete job iomtsim-sweep iomtsim-merge --ignore-not-found >/dev/null
# Set the shard count in both places it must agree, the sweep, the output
# folder and the image, on the manifests as shipped (no server is asked).
"$kubectl" patch --local -f "$here/sweep-job.yaml" --type merge -o yaml \
  -p "{\"spec\":{\"completions\":$n,\"parallelism\":$n}}" |
  "$kubectl" set env --local -f - -o yaml SHARDS="$n" SWEEP="$sweep" OUT="$out" IOMTSIM_ARGS="${IOMTSIM_ARGS:-}" |
  "$kubectl" set image --local -f - -o yaml shard="$image" |
  "$kubectl" apply -f -
"$kubectl" wait --for=condition=complete job/iomtsim-sweep --timeout=-1s
"$kubectl" set env --local -f "$here/merge-job.yaml" -o yaml OUT="$out" |
  "$kubectl" set image --local -f - -o yaml merge="$image" |
  "$kubectl" apply -f -
"$kubectl" wait --for=condition=complete job/iomtsim-merge --timeout=-1s
echo "merged into $out/merged"
