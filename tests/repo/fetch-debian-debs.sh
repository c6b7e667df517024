#!/usr/bin/env bash
# Downloads the Debian packages of tests/repo/debian-debs.txt into OUT_DIR, with apt checking
# them against Debian's archive key (signed Release, hashed Packages and .deb), and nothing of
# the machine's own apt state touched (a private list and cache directory).
# Usage: tests/repo/fetch-debian-debs.sh OUT_DIR     Env: MIRROR (http://deb.debian.org/debian)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: $0 OUT_DIR}
mirror=${MIRROR:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { echo "fetch-debian-debs: $keyring is missing (package debian-archive-keyring)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while read -r release package _; do
  case "$release" in ''|'#'*) continue ;; esac
  state="$work/$release"
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/preferences.d"
  echo "deb [signed-by=$keyring] $mirror $release main" >"$state/sources.list"
  opts=(-o "Dir::Etc::sourcelist=$state/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$state/lists"
        -o "Dir::Cache=$state/cache" -o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$state/preferences.d"
        -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
  [ -f "$state/updated" ] || { apt-get "${opts[@]}" -qq update; touch "$state/updated"; }
  rm -f "$out/${package}_"*.deb
  (cd "$out" && apt-get "${opts[@]}" -qq download "$package")
  echo "fetch-debian-debs: $(cd "$out" && ls "${package}_"*.deb) from Debian $release"
done <"$here/debian-debs.txt"
