#!/usr/bin/env bash
# ansible-test sanity for the collection, without Docker: copy the files git knows
# (tracked and untracked-not-ignored) into ansible_collections/passthrough/nvidia in a
# temporary directory and run ansible-test there with --venv (its own pinned tools).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/passthrough-sanity.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/ansible_collections/passthrough/nvidia"
mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.collections/' | \
  rsync -a --from0 --files-from=- ./ "$dest/"
cd "$dest"
# ansible-test looks at the files git tracks when there is a repository.
git init -q && git add -A && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity
# ansible-test bootstraps pip in its sanity venvs with a script from a server we cannot
# reach; give it the offline stand-in under the name it looks for.
pip_version=$(python3 -c 'from ansible_test._internal.python_requirements import PIP_VERSION as v; print(v)' 2>/dev/null \
  || python3 -c 'import ansible_test._internal.constants as c; print(c.PIP_VERSION)' 2>/dev/null || echo 24.2)
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
cmp -s "$root/tests/sanity/get_pip_offline.py" "$cache" 2>/dev/null || cp "$root/tests/sanity/get_pip_offline.py" "$cache"
# The host's pip settings (CA bundle, index) for those venvs, which ansible-test
# creates with a scrubbed environment.
{
  echo "[global]"
  ca=${PIP_CERT:-${REQUESTS_CA_BUNDLE:-${SSL_CERT_FILE:-}}}
  [ -n "$ca" ] && echo "cert = $ca"
  [ -n "${PIP_INDEX_URL:-}" ] && echo "index-url = $PIP_INDEX_URL"
  true
} >"$(dirname "$cache")/passthrough-pip.conf"
python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
ansible-test sanity --requirements --python "$python_version" --color no "$@"
