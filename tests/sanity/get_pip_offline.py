# Stand-in for the pip bootstrap script that ansible-test downloads from a CI file
# server our machines cannot reach. ansible-test runs it inside each fresh sanity
# virtual environment with pip's install options and the pinned packages as
# arguments, as it would run get-pip.py: bootstrap pip from the interpreter's own
# ensurepip wheel, give the environment the host's pip settings (tests/sanity/run.sh
# writes them next to this script: the CA bundle of a proxied PyPI, mirrors), then let
# that pip install the pinned versions.
import ensurepip
import os
import runpy
import shutil
import sys

here = os.path.dirname(os.path.abspath(__file__))
host_conf = os.path.join(here, "passthrough-pip.conf")
if os.path.exists(host_conf):
    shutil.copy(host_conf, os.path.join(sys.prefix, "pip.conf"))
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null in this process; undo that so the
# pip run below reads the settings copied above.
os.environ.pop("PIP_CONFIG_FILE", None)
# get-pip.py's own options; setuptools and wheel are never installed by this stand-in.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--upgrade"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
