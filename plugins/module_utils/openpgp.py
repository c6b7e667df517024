# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenPGP public keys, read in Python (no gpg on the guest: minimal Debian 12/13 installs have
none, and Debian 13's apt uses sqv): packets (RFC 9580 4.2), fingerprints of v4 and v6 keys
(RFC 4880 12.2, RFC 9580 5.5.4), and the one place that decides whether a downloaded key is
the pinned one.

Only the primary key's fingerprint counts. A certificate whose primary belongs to somebody
else but which carries the pinned key as a subkey (no secret of the pinned key's owner is
needed to attach a public key as an encryption subkey) is refused: apt would trust every
signature of its primary. What is installed is what was checked: the one primary key with its
own user IDs, signatures and subkeys, re-armored; nothing else of the downloaded file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import re
import struct

ARMOR_BEGIN = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
ARMOR_END = b"-----END PGP PUBLIC KEY BLOCK-----"
TAG_PUBLIC_KEY = 6
TAG_PUBLIC_SUBKEY = 14
# What a transferable public key carries after its primary key (RFC 9580 10.1); trust packets
# (12) are gpg's local data and are dropped.
TAG_NAMES = {2: "signature", 12: "trust", 13: "user ID", 14: "public subkey", 17: "user attribute"}
TAG_TRUST = 12


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
    for tag, body, _raw in _raw_packets(data):
        yield tag, body


def _raw_packets(data):
    """(tag, body, the whole packet with its header) of each packet in ``data``."""
    pos, n = 0, len(data)
    data = bytearray(data)
    while pos < n:
        start = pos
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
        yield tag, bytes(data[pos:pos + length]), bytes(data[start:pos + length])
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
    out = [fingerprint(body) for tag, body in _packets(data) if tag == TAG_PUBLIC_KEY]
    if not out:
        raise ValueError("no public key packet")
    return out


def fingerprint(body):
    """The fingerprint of a public key or subkey packet's body (the same computation for both)."""
    version = bytearray(body[:1])[0] if body else None
    if version == 4:
        digest = hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body)
    elif version == 6:
        digest = hashlib.sha256(b"\x9b" + struct.pack(">I", len(body)) + body)
    else:
        raise ValueError("public key version %s is not supported (v4 and v6 are)" % version)
    return digest.hexdigest().upper()


def is_armored(head):
    """True when the bytes start an ASCII-armored OpenPGP public key block."""
    return head.lstrip().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")


class KeyRejected(ValueError):
    """The downloaded key is not (only) the pinned key; the message says why."""


_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")


def normalise_fingerprint(text):
    """The fingerprint as upper-case hex without blanks; ValueError unless it is a full v4 (40
    hex digits) or v6 (64) fingerprint: a short key id can be forged, a full fingerprint cannot."""
    fpr = re.sub(r"\s+", "", str(text or "")).upper()
    if fpr.startswith("0X"):
        fpr = fpr[2:]
    if not _FINGERPRINT.match(fpr):
        raise ValueError("%r is not a full OpenPGP fingerprint (40 hex digits for a v4 key, 64 for v6)" % (text,))
    return fpr


def armor(packets):
    """ASCII armor (RFC 9580 6.2) of binary packets, with the CRC-24 checksum."""
    b64 = base64.b64encode(packets).decode("ascii")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    crc = base64.b64encode(struct.pack(">I", _crc24(packets))[1:]).decode("ascii")
    return ("%s\n\n%s\n=%s\n%s\n" % (ARMOR_BEGIN.decode(), "\n".join(lines), crc, ARMOR_END.decode())).encode("ascii")


def verify_pinned(data, pinned):
    """The pinned key out of a downloaded key file, re-armored, and what was found.

    Returns (armored bytes, {"fingerprint": primary, "subkeys": [...]}). KeyRejected, with the
    reason, when the file is not ASCII armored, is not OpenPGP, holds more or other than one
    primary key, names the pinned fingerprint only as a subkey, or carries packets a public key
    does not."""
    pinned = normalise_fingerprint(pinned)
    if not is_armored(data):
        raise KeyRejected("is not an ASCII-armored OpenPGP public key (NVIDIA publishes its keys armored)")
    try:
        raw = list(_raw_packets(dearmor(data)))
    except ValueError as e:
        raise KeyRejected("is not a valid OpenPGP public key: %s" % e)
    certs = []
    for tag, body, packet in raw:
        if tag == TAG_PUBLIC_KEY:
            certs.append([(tag, body, packet)])
        elif not certs:
            raise KeyRejected("starts with a packet of type %d, not with a public key" % tag)
        else:
            certs[-1].append((tag, body, packet))
    if not certs:
        raise KeyRejected("holds no public key")
    try:
        primaries = [fingerprint(c[0][1]) for c in certs]
        subkeys = [[fingerprint(b) for t, b, _p in c if t == TAG_PUBLIC_SUBKEY] for c in certs]
    except ValueError as e:
        raise KeyRejected("holds a key this collection cannot read: %s" % e)
    if len(certs) > 1:
        raise KeyRejected("holds %d primary keys (%s); a repository key file must hold exactly one"
                          % (len(certs), ", ".join(primaries)))
    if primaries[0] != pinned:
        if pinned in subkeys[0]:
            raise KeyRejected("carries the pinned key %s only as a subkey of another primary key %s: apt would "
                              "trust every signature of that primary key, so it is not the pinned key"
                              % (pinned, primaries[0]))
        raise KeyRejected("is not the pinned key %s (it has %s)" % (pinned, primaries[0]))
    for tag, _body, _packet in certs[0][1:]:
        if tag not in TAG_NAMES:
            raise KeyRejected("carries a packet of type %d, which a public key does not" % tag)
    kept = b"".join(packet for tag, _body, packet in certs[0] if tag != TAG_TRUST)
    return armor(kept), {"fingerprint": primaries[0], "subkeys": subkeys[0]}
