# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of guest_facts: what the roles need to know about a guest, learned in one
round trip, so that a converged run skips the work whose result is already known."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re
import struct

# dpkg-query -W -f with this format: one line per package known to dpkg.
DPKG_FORMAT = "${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n"

# apt's own notion of "when the lists were last updated" (ansible.builtin.apt's cache_valid_time).
APT_UPDATE_SUCCESS_STAMP = "/var/lib/apt/periodic/update-success-stamp"
APT_LISTS = "/var/lib/apt/lists"


def parse_dpkg_query(text):
    """(packages, holds, unfinished) from ``dpkg-query -W -f DPKG_FORMAT`` output.

    ``packages`` has ansible.builtin.package_facts' form (name -> list of dicts with
    name, version, arch, source) and holds the installed packages only; ``holds`` the
    packages whose selection is hold; ``unfinished`` the packages dpkg left in a state
    other than installed or removed (unpacked, half-configured, ...)."""
    packages, holds, unfinished = {}, [], []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) < 4 or not fields[0]:
            continue
        name, version, arch, abbrev = fields[0], fields[1], fields[2], fields[3]
        want = abbrev[:1]
        status = abbrev[1:2]
        if want == "h":
            holds.append(name)
        if status == "i":
            packages.setdefault(name, []).append({"name": name, "version": version, "arch": arch, "source": "apt"})
        elif status not in ("n", "c", ""):
            unfinished.append(name)
    return packages, sorted(set(holds)), sorted(set(unfinished))


ARMOR_BEGIN = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
ARMOR_END = b"-----END PGP PUBLIC KEY BLOCK-----"
TAG_PUBLIC_KEY = 6


def _crc24(data):
    """The CRC-24 of an ASCII armor checksum line (RFC 4880 6.1)."""
    crc = 0xB704CE
    for byte in bytearray(data):
        crc ^= byte << 16
        for _i in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(data):
    """The binary packets of the first ASCII-armored public key block in ``data``.

    ValueError when there is no complete block, its base64 is broken or its optional
    CRC-24 checksum does not match."""
    start = data.find(ARMOR_BEGIN)
    end = data.find(ARMOR_END, start + 1)
    if start < 0 or end < 0:
        raise ValueError("no complete ASCII-armored public key block")
    lines = data[start + len(ARMOR_BEGIN):end].replace(b"\r", b"").split(b"\n")
    # Armor headers ("Version: ...", "Comment: ...") end at the first blank line.
    if any(b":" in line for line in lines[1:] if line.strip()):
        while lines and lines[0].strip() == b"":
            lines.pop(0)
        while lines and lines[0].strip():
            lines.pop(0)
    body, checksum = [], None
    for line in lines:
        line = line.strip()
        if line.startswith(b"="):
            checksum = line[1:]
        elif line:
            body.append(line)
    try:
        packets = base64.b64decode(b"".join(body), validate=True)
        want = struct.unpack(">I", b"\0" + base64.b64decode(checksum, validate=True))[0] if checksum else None
    except (binascii.Error, ValueError, struct.error) as e:
        raise ValueError("the armored key block is not valid base64: %s" % e)
    if want is not None and _crc24(packets) != want:
        raise ValueError("the armored key block fails its CRC-24 checksum")
    return packets


def _packets(data):
    """(tag, body) of each OpenPGP packet in ``data`` (RFC 9580 4.2, old and new headers)."""
    pos, n = 0, len(data)
    data = bytearray(data)
    while pos < n:
        head = data[pos]
        if not head & 0x80:
            raise ValueError("byte %d is not the start of an OpenPGP packet" % pos)
        if head & 0x40:  # new format
            tag, pos = head & 0x3F, pos + 1
            if pos >= n:
                raise ValueError("truncated packet header")
            first = data[pos]
            if first < 192:
                length, pos = first, pos + 1
            elif first < 224:
                if pos + 1 >= n:
                    raise ValueError("truncated packet header")
                length, pos = ((first - 192) << 8) + data[pos + 1] + 192, pos + 2
            elif first == 255:
                if pos + 4 >= n:
                    raise ValueError("truncated packet header")
                length, pos = struct.unpack(">I", bytes(data[pos + 1:pos + 5]))[0], pos + 5
            else:
                raise ValueError("partial body lengths do not occur in key packets")
        else:  # old format
            tag, kind, pos = (head >> 2) & 0x0F, head & 0x03, pos + 1
            if kind == 3:
                length = n - pos
            else:
                size = (1, 2, 4)[kind]
                if pos + size > n:
                    raise ValueError("truncated packet header")
                length = int.from_bytes(bytes(data[pos:pos + size]), "big")
                pos += size
        if pos + length > n:
            raise ValueError("packet %d is cut short" % tag)
        yield tag, bytes(data[pos:pos + length])
        pos += length


def openpgp_fingerprints(data):
    """Primary-key fingerprints (upper-case hex) of the public keys in ``data``: an armored
    block or binary packets, as ``gpg --show-keys --with-fingerprint`` lists them.

    v4 keys: SHA-1 of 0x99, the two-octet length and the key packet's body (RFC 4880 12.2);
    v6 keys: SHA-256 of 0x9B, the four-octet length and the body (RFC 9580 5.5.4).
    Subkeys are not returned. ValueError when ``data`` is not OpenPGP or holds a key of
    another version."""
    if is_armored(data):
        data = dearmor(data)
    out = []
    for tag, body in _packets(data):
        if tag != TAG_PUBLIC_KEY:
            continue
        version = bytearray(body[:1])[0] if body else None
        if version == 4:
            digest = hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body)
        elif version == 6:
            digest = hashlib.sha256(b"\x9b" + struct.pack(">I", len(body)) + body)
        else:
            raise ValueError("public key version %s is not supported (v4 and v6 are)" % version)
        out.append(digest.hexdigest().upper())
    if not out:
        raise ValueError("no public key packet")
    return out


def is_armored(head):
    """True when the bytes start an ASCII-armored OpenPGP public key block."""
    return head.lstrip().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")


def compile_pattern(pattern):
    """The sources pattern as a compiled regular expression; ValueError names the problem."""
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError("sources_pattern %r is not a valid regular expression: %s" % (pattern, e))


def matching_lines(text, regex):
    """Non-comment lines of a sources file that match ``regex``."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if regex.search(line):
            out.append(line)
    return out
