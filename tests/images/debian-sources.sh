#!/usr/bin/env bash
# Prints the deb822 source of Debian's archive, every component, as an operator's guest
# has it. Shared by the container image (tests/images) and the lab guest image (lab/).
# Usage: debian-sources.sh RELEASE MIRROR
set -euo pipefail
cat <<SRC
Types: deb
URIs: ${2:?usage: $0 RELEASE MIRROR}
Suites: ${1} ${1}-updates
Components: main contrib non-free non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
