# -*- coding: utf-8 -*-
"""Makes this checkout importable as ansible_collections.passthrough.nvidia
(through .collections/, a link back to the root) when pytest runs from the root."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".collections")
if os.path.isdir(COLLECTIONS) and COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures")


def _tree_texts():
    """(path relative to the root, text) of every file git tracks or would track (not ignored),
    links and undecodable files left out."""
    import subprocess
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    texts = []
    for rel in out.splitlines():
        path = os.path.join(ROOT, rel)
        if rel.startswith(".collections/") or not os.path.isfile(path) or os.path.islink(path):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                texts.append((rel, f.read()))
        except UnicodeDecodeError:
            continue
    return texts


@pytest.fixture(scope="session")
def tree_texts():
    """The tree's text files, for tests that scan the whole tree for forbidden patterns."""
    return _tree_texts()


@pytest.fixture(scope="session")
def libcuda_double(tmp_path_factory):
    """tests/doubles/libcuda-double.c compiled (gcc) into a libcuda.so.1 of its own."""
    import subprocess
    out = tmp_path_factory.mktemp("libcuda") / "libcuda.so.1"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(out),
                    os.path.join(ROOT, "tests", "doubles", "libcuda-double.c")], check=True)
    return str(out)


CUDA_WHEELS = os.path.join(ROOT, ".cache", "cuda-wheels")


@pytest.fixture(scope="session")
def cuda_wheel():
    """The path of one of NVIDIA's CUDA wheels that `make deps` downloads (tests/repo/cuda-wheels.txt)."""
    import glob

    def find(project):
        found = glob.glob(os.path.join(CUDA_WHEELS, project.replace("-", "_") + "-*.whl"))
        assert found, "%s is not in %s: run `make deps` (make wheels)" % (project, CUDA_WHEELS)
        return found[0]
    return find


@pytest.fixture(scope="session")
def built_repo(tmp_path_factory):
    """The test repository (tests/repo/build_repo.py), built once per test process."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "repo"))
    import build_repo  # pylint: disable=import-outside-toplevel
    out = str(tmp_path_factory.mktemp("repo"))
    build_repo.main(out)
    return out
