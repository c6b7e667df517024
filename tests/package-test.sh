#!/usr/bin/env bash
# Builds passthrough-nvidia-<version>.tar.gz and installs it offline into a fresh
# collections path, then checks that ansible-doc renders every module and role from
# the installed copy (not from this checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/passthrough-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
version=$(python3 -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
# Only the fresh path: not this checkout's .collections nor ~/.ansible.
printf "[defaults]\ncollections_path = %s\n" "$tmp/installed" >"$tmp/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$tmp/installed" ANSIBLE_CONFIG="$tmp/ansible.cfg" ANSIBLE_NOCOLOR=1
ansible-galaxy collection build --force --output-path "$tmp" . >/dev/null
tarball="$tmp/passthrough-nvidia-$version.tar.gz"
test -f "$tarball" || { echo "package: $tarball was not built" >&2; exit 1; }
if tar tzf "$tarball" | grep -E '^(\.venv|\.cache|\.collections|\.git)/' >/dev/null; then
  echo "package: the tarball contains build_ignore'd paths" >&2; exit 1
fi
ansible-galaxy collection install --offline --force -p "$tmp/installed" "$tarball" >/dev/null 2>&1 || {
  echo "package: offline install of $tarball failed" >&2; exit 1; }
# Every module, role and test plugin of the tree, rendered from the installed copy.
modules=(); for f in plugins/modules/*.py; do n=$(basename "$f" .py); [ "$n" = __init__ ] || modules+=("$n"); done
roles=(); for d in roles/*/; do roles+=("$(basename "$d")"); done
tests=(); for f in plugins/test/*.yml; do tests+=("$(basename "$f" .yml)"); done
filters=(); for f in plugins/filter/*.yml; do filters+=("$(basename "$f" .yml)"); done
for m in "${modules[@]}"; do
  doc=$(ansible-doc "passthrough.nvidia.$m" 2>&1)
  grep -Eq "^> MODULE \*?passthrough.nvidia.$m" <<<"$doc" \
    || { echo "package: ansible-doc does not render passthrough.nvidia.$m from the installed tarball" >&2; exit 1; }
done
for r in "${roles[@]}"; do
  doc=$(ansible-doc -t role "passthrough.nvidia.$r" 2>&1)
  grep -Eq "ENTRY POINT: \*?main" <<<"$doc" \
    || { echo "package: ansible-doc -t role does not render passthrough.nvidia.$r" >&2; exit 1; }
done
for t in "${tests[@]}"; do
  doc=$(ansible-doc -t test "passthrough.nvidia.$t" 2>&1)
  grep -Eq "^> TEST \*?passthrough.nvidia.$t" <<<"$doc" \
    || { echo "package: ansible-doc -t test does not render passthrough.nvidia.$t" >&2; exit 1; }
done
for t in "${filters[@]}"; do
  doc=$(ansible-doc -t filter "passthrough.nvidia.$t" 2>&1)
  grep -Eq "^> FILTER \*?passthrough.nvidia.$t" <<<"$doc" \
    || { echo "package: ansible-doc -t filter does not render passthrough.nvidia.$t" >&2; exit 1; }
done
ansible-playbook --syntax-check -i localhost, passthrough.nvidia.site >/dev/null 2>&1 \
  || { echo "package: passthrough.nvidia.site does not pass --syntax-check" >&2; exit 1; }
# ansible-builder finds the execution-environment requirements in the installed collection.
ee=$(ansible-builder introspect "$tmp/installed" 2>&1) \
  || { echo "package: ansible-builder introspect failed: $ee" >&2; exit 1; }
grep -q "openssh-client \[platform:dpkg\]" <<<"$ee" \
  || { echo "package: ansible-builder does not see meta/execution-environment.yml's bindep: $ee" >&2; exit 1; }
echo "package: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB) builds, installs offline; ansible-doc renders ${#modules[@]} modules (${modules[*]}), ${#roles[@]} roles, ${#tests[@]} test plugin(s), ${#filters[@]} filters; ansible-builder reads its EE requirements"
