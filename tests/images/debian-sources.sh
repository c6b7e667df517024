#!/usr/bin/env bash
# Writes Debian's apt sources into a guest's root as Debian's installer leaves them on a stock
# install: the components main and non-free-firmware only (no contrib, no non-free: the roles
# must add what NVIDIA's packages need). Debian 12's installer writes one-line entries in
# /etc/apt/sources.list; Debian 13's writes deb822 in /etc/apt/sources.list.d/debian.sources
# ("after a fresh installation of Debian 13, the official repositories are stored in
# /etc/apt/sources.list.d/debian.sources", debian.club's deb822 page; medium confidence), so the
# roles meet both formats. Only the release and -updates suites: the test machines reach
# Debian's archive through MIRROR. Shared by the container image (tests/images) and the lab
# guest image (lab/).
# Usage: debian-sources.sh RELEASE MIRROR ROOT
set -euo pipefail
release=${1:?usage: $0 RELEASE MIRROR ROOT}
mirror=${2:?usage: $0 RELEASE MIRROR ROOT}
root=${3:?usage: $0 RELEASE MIRROR ROOT}
rm -f "$root/etc/apt/sources.list" "$root/etc/apt/sources.list.d/debian.sources"
case "$release" in
  bookworm)
    cat >"$root/etc/apt/sources.list" <<SRC
deb ${mirror%/}/ ${release} main non-free-firmware

deb ${mirror%/}/ ${release}-updates main non-free-firmware
SRC
    ;;
  *)
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: ${mirror}
Suites: ${release} ${release}-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    ;;
esac
