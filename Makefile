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
RELEASES ?= bookworm
SCENARIOS ?= $(sort $(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: test deps system-deps venv images lint sanity unit molecule build clean help

help:
	@echo "make test       set up (apt, .venv, images) and run lint, sanity, unit, molecule"
	@echo "make lint|sanity|unit|molecule   one stage (after make deps)"
	@echo "make build      build the collection tarball"

test:
	@tests/run-tests.sh

deps: system-deps venv images

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

sanity:
	tests/sanity/run.sh

unit:
	pytest -q -n 2 tests/unit

molecule:
	@for s in $(SCENARIOS); do echo "== molecule test -s $$s"; molecule test -s $$s || exit 1; done

build:
	ansible-galaxy collection build --force --output-path .

clean:
	rm -rf $(VENV) .cache tests/output passthrough-nvidia-*.tar.gz
