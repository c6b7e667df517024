# passthrough.nvidia: the test rig. `make test` on a fresh Debian 12 machine (as root)
# installs what it needs and runs every check; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PYTHON ?= python3
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export ANSIBLE_FORCE_COLOR := 0
RELEASES ?= bookworm trixie
RELEASE ?= bookworm
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))


.PHONY: bench test deps system-deps venv wheels debian-debs images lint sanity unit molecule package build clean help lab lab-down

help:
	@echo "make test       set up (apt, .venv, images) and run lint, sanity, unit, molecule"
	@echo "make lint|sanity|unit|package|molecule   one stage (after make deps)"
	@echo "make build      build the collection tarball"
	@echo "make lab [RELEASE=bookworm|trixie]   boot the UEFI lab guest and run site.yml on it"
	@echo "make lab-down [RELEASE=...]          stop it"

test:
	@tests/run-tests.sh

deps: system-deps venv wheels debian-debs images

# NVIDIA's real CUDA compiler (PyPI wheels, pinned by hash) for the test repository's toolkit.
WHEELS := .cache/cuda-wheels
wheels: $(WHEELS)/.downloaded

$(WHEELS)/.downloaded: tests/repo/cuda-wheels.txt $(VENV)/.installed
	rm -rf $(WHEELS)
	$(VENV)/bin/pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
	  --only-binary=:all: -r tests/repo/cuda-wheels.txt -d $(WHEELS)
	touch $@

# Debian packages the test repository publishes unchanged (NVIDIA's newer dkms: Debian 13's),
# checked by apt against Debian's archive key.
DEBIAN_DEBS := .cache/debian-debs
debian-debs: $(DEBIAN_DEBS)/.downloaded

$(DEBIAN_DEBS)/.downloaded: tests/repo/debian-debs.txt tests/repo/fetch-debian-debs.sh
	tests/repo/fetch-debian-debs.sh $(DEBIAN_DEBS)
	touch $@

system-deps:
	@tests/setup-host.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

images:
	@for r in $(RELEASES); do tests/images/build-image.sh $$r; done

lint:
	ansible-lint --profile production

# ansible-test runs from its own venv (ansible-core only): --requirements installs the
# sanity tests' pinned tools there, not in .venv.
SANITY_VENV := .cache/sanity-venv
ANSIBLE_CORE_PIN := $(shell grep '^ansible-core==' requirements-dev.txt)

$(SANITY_VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install --quiet --disable-pip-version-check '$(ANSIBLE_CORE_PIN)'
	touch $@

sanity: $(SANITY_VENV)/.installed
	PATH=$(CURDIR)/$(SANITY_VENV)/bin:$$PATH tests/sanity/run.sh

unit:
	pytest -q -n 2 tests/unit

# Two lanes (the single-guest scenarios beside the others, on a server of their own), then the
# VM alone: tests/run-molecule.sh.
molecule:
	@tests/run-molecule.sh $(SCENARIOS)

# The collection builds, and installs offline from the tarball into a fresh path where
# ansible-doc finds every module and role.
package:
	tests/package-test.sh

build:
	ansible-galaxy collection build --force --output-path .

clean:
	rm -rf $(VENV) .cache tests/output passthrough-nvidia-*.tar.gz

# The main job against a real UEFI guest (QEMU/OVMF, no GPU, the test repository).
lab: system-deps venv
	tests/repo/serve.sh start
	lab/up.sh $(RELEASE)
	ansible-playbook -i lab/run/lab-$(RELEASE)/inventory.yml site.yml
	@echo "lab: done. Inventory lab/run/lab-$(RELEASE)/inventory.yml, serial console lab/run/lab-$(RELEASE)/serial.log."
	@echo "lab: stop the guest with: make lab-down RELEASE=$(RELEASE)"

lab-down:
	lab/down.sh $(RELEASE)
	tests/repo/serve.sh stop

# Benchmarks (never fail the build): bench/results.md and bench/results.json.
bench: deps
	python3 bench/run.py
