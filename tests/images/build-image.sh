#!/usr/bin/env bash
# Builds the local container image of a Debian guest that the molecule scenarios use
# (there is no image registry on our machines): debootstrap --variant=minbase, then
# `podman import`. The image carries a label with the hash of its recipe (this script
# and the package list); it is rebuilt only when that hash changes.
#
# Usage: tests/images/build-image.sh RELEASE        (bookworm | trixie)
# Env:   MIRROR (default http://deb.debian.org/debian), FORCE=1 to rebuild.
set -euo pipefail

release=${1:?usage: $0 RELEASE (bookworm|trixie)}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${MIRROR:-http://deb.debian.org/debian}

case "$release" in
  bookworm) version=12 ;;
  trixie) version=13 ;;
  *) echo "build-image: unsupported release '$release' (supported: bookworm, trixie)" >&2; exit 2 ;;
esac

image="localhost/passthrough-debian:${version}"
pkgfile="$here/packages.txt"
recipe=$(cat "$0" "$pkgfile" "$here/debian-sources.sh" | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{ index .Config.Labels "passthrough.recipe" }}' "$image" 2>/dev/null || true)
if [ "${FORCE:-0}" != 1 ] && [ "$current" = "$recipe" ]; then
  echo "build-image: $image is up to date (recipe $recipe), reusing it"
  exit 0
fi

packages=$(grep -v '^\s*#' "$pkgfile" | xargs | tr ' ' ',')
work=$(mktemp -d /var/tmp/passthrough-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
start=$(date +%s)
echo "build-image: debootstrap $release into $root (packages: $packages)"
debootstrap --variant=minbase --components=main,non-free-firmware \
  --include="$packages" "$release" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" >&2
  echo "build-image: debootstrap failed (log above)" >&2
  exit 1
}

# A guest as Debian's installer leaves it: main non-free-firmware (debian-sources.sh).
"$here/debian-sources.sh" "$release" "$mirror" "$root"
# /etc/default/grub as the boot loader package's postinst creates it on a real guest
# (grub-efi-amd64 copies grub2-common's template; a container has no boot loader).
cp "$root/usr/share/grub/default/grub" "$root/etc/default/grub"
# Keep the image small and the apt lists out of it (the roles refresh them).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
# machine-id and hostname are per container.
: >"$root/etc/machine-id"
# SSH host keys too: a container that runs sshd makes its own (ssh-keygen -A).
rm -f "$root"/etc/ssh/ssh_host_*

tar -C "$root" --numeric-owner -c . | podman import \
  --change "LABEL passthrough.recipe=$recipe" \
  --change "LABEL passthrough.release=$release" \
  --change 'CMD ["/bin/sleep", "infinity"]' \
  - "$image" >/dev/null
echo "build-image: built $image (recipe $recipe) in $(( $(date +%s) - start )) s"
