#!/bin/sh
# Builds Argo Rollouts' released controller (the version this module requires) and copies the
# release's install manifests next to it, into the control-plane cache folder; does nothing when
# both are there. The folder is $CANARYDRILL_ARGO_DIR, else
# <user cache>/canarydrill-controlplane/argo-rollouts-<version>, the folder internal/argoref
# looks in. Cold: about 4 CPU-minutes; warm: under a second.
#
# Layout of the folder:
#   rollouts-controller                       the binary, built as Argo's Makefile builds it
#   manifests/crds/*.yaml                     Argo's CRDs (manifests/crds of the module)
#   manifests/install/*.yaml                  Argo's ServiceAccount, ClusterRole (manifests/role),
#                                             ClusterRoleBinding, argo-rollouts-config ConfigMap and
#                                             notification Secret: manifests/install.yaml less the
#                                             Deployment and the metrics Service
set -eu
cd "$(dirname "$0")"
module=github.com/argoproj/argo-rollouts
version=$(sed -n 's/^[[:space:]]*github.com\/argoproj\/argo-rollouts \(v[0-9.]*\).*/\1/p' go.mod)
dir=${CANARYDRILL_ARGO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/canarydrill-controlplane/argo-rollouts-$version}
if [ -x "$dir/rollouts-controller" ] && [ -f "$dir/manifests/crds/rollout-crd.yaml" ] && [ -f "$dir/manifests/install/argo-rollouts-clusterrole.yaml" ]; then
	echo "argo-rollouts $version: $dir (cached)"
	exit 0
fi
start=$(date +%s)
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/manifests/crds" "$dir.tmp/manifests/install"

# The manifests come from the same module version as the binary: `go mod download -json` names
# its folder in the module cache (downloading it when missing).
src=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
if [ -z "$src" ] || [ ! -d "$src/manifests/crds" ]; then
	echo "build.sh: cannot find $module $version in the module cache" >&2
	exit 1
fi
cp "$src"/manifests/crds/*-crd.yaml "$dir.tmp/manifests/crds/"
cp "$src/manifests/role/argo-rollouts-clusterrole.yaml" \
	"$src/manifests/base/argo-rollouts-sa.yaml" \
	"$src/manifests/base/argo-rollouts-config.yaml" \
	"$src/manifests/base/argo-rollouts-notification-secret.yaml" \
	"$src/manifests/cluster-install/argo-rollouts-clusterrolebinding.yaml" \
	"$dir.tmp/manifests/install/"
# Files in the module cache are read-only; the copies need not be.
chmod -R u+w "$dir.tmp"

# As Argo's `make controller`: CGO off, the version stamped by link flags (the module's VERSION
# file is stale, so the version is the one go.mod requires; without a git commit it reports
# itself as <version>+unknown); -trimpath -s -w keep it small.
CGO_ENABLED=0 go build -trimpath -o "$dir.tmp/rollouts-controller" \
	-ldflags "-s -w -X $module/utils/version.version=${version#v} -X $module/utils/version.gitTreeState=clean" \
	"$module/cmd/rollouts-controller"

rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$dir.tmp" "$dir"
echo "argo-rollouts $version: built into $dir in $(( $(date +%s) - start ))s"
