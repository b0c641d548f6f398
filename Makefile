# coredns-sentinel — the commands a developer and CI use. `make help` lists them.
SHELL := /bin/bash
IMAGE ?= ghcr.io/coredns-sentinel/probe:dev

.PHONY: help deps build test test-unit lint bench probe-image images demo sim clean man release

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

deps: ## install Debian packages and npm dependencies (as root, or with sudo)
	bash scripts/install-deps.sh

build: ## bundle the CLI and the probe into dist/
	npm run build

test: build ## run every test (unit, probe against dnsmasq, simulated cluster, end to end); as root, the images first (the sim runs them under runc)
	@if [ "$$(id -u)" = 0 ]; then bash scripts/images.sh; else echo "make test: not root: no images built, the sim runs containers as host processes"; fi
	npm test

test-unit: ## only the pure unit tests beside the stages (seconds; no sim, no DNS servers)
	npm run test:unit

lint: ## eslint, the TypeScript type check and the dependency rules (.dependency-cruiser.cjs)
	npm run lint

bench: build ## print the performance figures (probe, cycle, repair)
	npm run bench:probe
	npm run bench:cycle
	npm run bench:repair

probe-image: build ## build and push the dedicated probe image: make probe-image IMAGE=registry/name:tag
	docker build -t $(IMAGE) -f probe-image/Dockerfile .
	docker push $(IMAGE)

images: build ## as root: the probe and CLI images from probe-image/ over stand-in bases, as OCI layouts in .cache/images/oci (cached; sizes printed)
	bash scripts/images.sh

sim: build ## start the simulated cluster (PRESET=kubeadm, eks, aks, gke, k3s, rke2, openshift, l7mp, dual-stack, nodelocal, enterprise; WINDOWS=n adds a Windows node pool) in the foreground; prints its kubeconfig path
	node --import tsx test/sim/main.ts --preset $(or $(PRESET),kubeadm)$(if $(WINDOWS), --windows $(WINDOWS))

demo: deps build ## the demo: simulated cluster, healthy check, fault injected, detected and repaired
	bash scripts/demo.sh

man: ## the command man pages from the program (man/*.1; man ./man/coredns-sentinel.1)
	npm run man

release: build man ## one-file installs in dist/release: the single executable for this platform, krew archive and manifest, the npm tarball
	node scripts/release.mjs
	npm pack --pack-destination dist/release

clean:
	rm -rf dist .sim
