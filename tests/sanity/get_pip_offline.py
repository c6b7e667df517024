# Stand-in for the pip bootstrap script that ansible-test downloads from a CI file
# server our machines cannot reach. ansible-test runs it inside each fresh sanity
# virtual environment with pip's install options and the pinned packages as
# arguments, as it would run get-pip.py: bootstrap pip from the interpreter's own
# ensurepip wheel, then let that pip install the pinned versions from PyPI.
import ensurepip
import runpy
import sys

ensurepip.bootstrap(upgrade=True)
# get-pip.py's own options; setuptools and wheel are never installed by this stand-in.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.argv = ["pip", "install", "--upgrade"] + args
runpy.run_module("pip", run_name="__main__", alter_sys=True)
