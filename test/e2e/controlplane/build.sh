#!/bin/sh
# Builds kube-apiserver and kube-controller-manager from k8s.io/kubernetes (the version this
# module requires) into the control-plane cache folder, and does nothing when both are there.
# The folder is $CANARYDRILL_CONTROLPLANE_DIR, else <user cache>/canarydrill-controlplane/<version>,
# the folder internal/controlplane looks in. Cold: about 13 CPU-minutes; warm: under a second.
set -eu
cd "$(dirname "$0")"
version=$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' go.mod)
dir=${CANARYDRILL_CONTROLPLANE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/canarydrill-controlplane/$version}
if [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ]; then
	echo "control plane $version: $dir (cached)"
	exit 0
fi
mkdir -p "$dir"
minor=$(echo "$version" | cut -d. -f2)
start=$(date +%s)
# -trimpath and -s -w keep the binaries small; the version flags make /version tell the truth.
go build -trimpath -o "$dir.tmp/" \
	-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
mv "$dir.tmp/kube-apiserver" "$dir.tmp/kube-controller-manager" "$dir/"
rmdir "$dir.tmp"
echo "control plane $version: built into $dir in $(( $(date +%s) - start ))s"
