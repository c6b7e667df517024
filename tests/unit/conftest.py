# -*- coding: utf-8 -*-
"""Makes this checkout importable as ansible_collections.passthrough.nvidia
(through .collections/, a link back to the root) when pytest runs from the root."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".collections")
if os.path.isdir(COLLECTIONS) and COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures")
