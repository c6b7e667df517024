# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text that comes from a guest (a kernel log line, a tool's answer) before anything shows it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Control characters, and Unicode's format characters (category Cf: bidi overrides and isolates,
# zero-width spaces and joiners, the BOM), which can make a guest's text read other than it is
# ("Trojan Source", CVE-2021-42574) in a report or a terminal. One pattern for every place that
# shows such text: the kernel-log scanner's summaries and the fleet report.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                         "\u2066-\u206f\ufeff\ufff9-\ufffb]")
