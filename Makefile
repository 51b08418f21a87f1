# canarydrill — the two commands of the README are `make demo` and `make test`.
GO       ?= go
BIN      := bin/canarydrill
TOOLS    := -modfile=hack/tools/go.mod
PKGS     := ./...
# Fuzz targets run this long each in `make test` (bounded, so CI stays fast).
FUZZTIME ?= 10s

.PHONY: all build demo test check vet fmt-check staticcheck unit fuzz generate generate-check install clean bench e2e e2e-controlplane

all: build

build:
	$(GO) build -o $(BIN) ./cmd/canarydrill

## demo: build, then run the seed's exercise (a good and a bad canary) in virtual time.
demo: build
	./$(BIN) run builtin:seed-good-canary builtin:seed-bad-canary --out out

## install: what the tests need beyond Go (Debian packages), see hack/install.sh.
install:
	./hack/install.sh

## test: every check and every test; CI runs exactly this.
test: install check e2e-controlplane e2e-argo unit e2e-drill fuzz

check: fmt-check vet staticcheck generate-check

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool $(TOOLS) staticcheck $(PKGS)

# The differential tests against Debian's Prometheus and the real-API tests against the control
# plane built by e2e-controlplane must run, not skip, in `make test`. The live drills on the
# real control plane run after (e2e-drill): they load both cores, and the conformance tests'
# wall-clock timings run beside whatever package runs with them.
REALDRILLS := ^TestRealAPIDrill
unit:
	CANARYDRILL_REQUIRE_PROMETHEUS=1 CANARYDRILL_E2E=1 $(GO) test -count=1 -timeout 45m -skip '$(REALDRILLS)' $(PKGS)

## e2e-drill: live drills on the real control plane, with our controller and Argo's.
.PHONY: e2e-drill
e2e-drill:
	CANARYDRILL_E2E=1 $(GO) test -count=1 -timeout 15m -run '$(REALDRILLS)' ./drill/

## fuzz: each fuzz target for FUZZTIME, bounded, no panic allowed.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzTemplate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./controller/analysis/
	$(GO) test -run '^$$' -fuzz '^FuzzCondition$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./controller/analysis/evaluate/
	$(GO) test -run '^$$' -fuzz '^FuzzLint$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./lint/

## generate: deepcopy functions and CRDs from the API types.
generate:
	$(GO) tool $(TOOLS) controller-gen object paths=./api/...
	$(GO) tool $(TOOLS) controller-gen crd:allowDangerousTypes=true paths=./api/... output:crd:dir=config/crd/bases

## generate-check: the generated files are up to date.
generate-check: generate
	@git diff --exit-code -- api config || (echo "generated files are stale: run make generate"; exit 1)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./sim/ ./fakeprom/

clean:
	rm -rf bin out

## e2e-controlplane: build kube-apiserver and kube-controller-manager from k8s.io/kubernetes
## into the user cache (reused when there; cold about 13 CPU-minutes), see docs/real-cluster.md.
e2e-controlplane:
	./test/e2e/controlplane/build.sh

## e2e: the real-API tests (internal/controlplane, kubeletsim, driver, kubecli, test/e2e) on a
## real kube-apiserver, kube-controller-manager and etcd, and the conformance tests against Argo
## Rollouts' controller (internal/argoref, test/e2e/conformance); CANARYDRILL_E2E=1 makes them
## fail, not skip, when the control plane or Argo's build is missing.
e2e: install e2e-controlplane e2e-argo
	CANARYDRILL_E2E=1 $(GO) test -count=1 -timeout 30m ./internal/controlplane/... ./internal/argoref/... ./kubeletsim/... ./driver/... ./kubecli/... ./kindcluster/... ./test/e2e/... ./test/e2e/conformance/...
	$(MAKE) e2e-drill

## e2e-argo: build Argo Rollouts' released controller from test/e2e/argo and copy its CRDs and
## install manifests beside it into the user cache (reused when there; cold about 4 CPU-minutes),
## the reference of test/e2e/conformance, see docs/conformance.md.
.PHONY: e2e-argo
e2e-argo:
	./test/e2e/argo/build.sh
