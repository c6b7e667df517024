# -*- coding: utf-8 -*-
# Copyright: (c) 2026, passthrough.nvidia contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``apt-get update`` said, sorted out: pure functions for the apt_update module.

apt reports every failure of every source in one output. What the cuda_repo role must do
depends on which source failed and how: NVIDIA's repository unreachable, signed by a key the
guest does not trust (NVIDIA rotated its key, or somebody else signed it), its files not
matching their signed checksums (a mirror caught mid-sync, or tampering), or another source of
the guest broken while NVIDIA's is fine (which is not the role's to undo). Output is read with
LC_ALL=C; guest text is only searched, never executed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Kinds, most specific first: the role says a different thing for each.
KINDS = ("ok", "lock", "no_space", "http_error", "key_unknown", "not_valid_yet", "bad_signature", "hash_mismatch",
         "unreachable", "other_source", "failed")

LOCK = re.compile(r"Could not get lock (\S*/lists/lock)\.?(?: It is held by process (\d+) \(([^)]*)\))?")
NO_PUBKEY = re.compile(r"NO_PUBKEY ([0-9A-F]{16})")
# Debian 13's apt verifies with sqv, which names the whole fingerprint (recorded with apt 3.0:
# "Sub-process /usr/bin/sqv returned an error code (1), error message is: Missing key <40 hex>,
# which is needed to verify signature.").
MISSING_KEY = re.compile(r"Missing key ([0-9A-F]{40}|[0-9A-F]{64})\b")
# An HTTP status for the repository's index (apt 2.6 and 3.0, recorded: "Err:1 URL  InRelease\n  503
# Service Unavailable [IP: ...]"; apt then also says "The repository '... InRelease' is not signed":
# it never got a signed file, which is no signature problem).
HTTP_STATUS = re.compile(r"\s(401|403|404|407|408|429|5\d\d)\s+([A-Z][A-Za-z -]*?)\s*(?:\[IP:|$)")
# apt 2.6, recorded with a full /var/lib/apt/lists: "Error writing to file - write (28: No space left on device)".
NO_SPACE = re.compile(r"No space left on device|\(28: ")
# apt's own text (apt-pkg/acquire-item.cc): "Release file for URL is not valid yet (invalid for another
# 2h 4min 1s). Updates for this repository will not be applied."
NOT_VALID_YET = re.compile(r"is not valid yet \(invalid for another ([^)]*)\)")
# apt: "W: GPG error: URL  Release: The following signatures were invalid: BADSIG ...", "E: The repository
# 'URL  Release' is not signed.", "An error occurred during the signature verification".
BAD_SIGNATURE = re.compile(r"BADSIG|signatures were invalid|is not signed|signature verification|EXPKEYSIG|REVKEYSIG")
HASH = re.compile(r"Hash Sum mismatch|File has unexpected size|Hashes of expected file")
UNREACHABLE = re.compile(r"Could not connect|Connection refused|Temporary failure resolving|Could not resolve|"
                         r"Connection timed out|Network is unreachable|404\s+Not Found|403\s+Forbidden|"
                         r"401\s+Unauthorized|Unable to connect|No route to host|Could not handshake|"
                         r"Certificate verification failed|does not have a Release file")
# The URL an apt message names: "Failed to fetch URL", "repository 'URL ...'", "GPG error: URL ...".
URL = re.compile(r"((?:https?|ftp)://[^\s'\"]+|file:/[^\s'\"]+)")


def _norm(url):
    """A URL for comparing: no credentials, no trailing slash."""
    return re.sub(r"(?<=://)[^/@]*@", "", url or "").rstrip("/")


def source_url(url):
    """The source an apt message's URL belongs to, without credentials: a Debian-style archive's
    base (before /dists/), or a flat repository's directory (the index file apt fetched taken off)."""
    url = _norm(url)
    if "/dists/" in url:
        return url.split("/dists/", 1)[0]
    return re.sub(r"/(?:InRelease|Release(?:\.gpg)?|Packages(?:\.[a-z0-9]+)?)$", "", url)


def problem_lines(text):
    """apt's error and warning lines (E:, W:, Err:), with their continuation lines joined."""
    out = []
    for line in (text or "").splitlines():
        s = line.rstrip()
        if re.match(r"^(E|W|Err):", s):
            out.append(s)
        elif out and line[:1] in (" ", "\t") and s.strip():
            out[-1] += " " + s.strip()
    return out


# apt's W: lines that say something failed; the others are notes (credentials over plain http, a
# target configured twice, ...) that do not stop apt from using the repository.
FAILED_WARNING = re.compile(r"^W: (Failed to fetch|GPG error|The repository .* (is not signed|does not have a Release file)|"
                            r"An error occurred during the signature verification|OpenPGP signature verification failed|"
                            r"Some index files failed)")


def is_failure(line):
    return line.startswith(("E:", "Err:")) or bool(FAILED_WARNING.match(line))


def concerns(line, repository_url):
    """Whether an apt message line is about ``repository_url`` (a flat repository: its Release,
    InRelease and Packages files are right under it)."""
    ours = _norm(repository_url)
    if not ours:
        return False
    return any(_norm(u).startswith(ours) for u in URL.findall(line))


def classify(rc, output, repository_url=""):
    """{"kind", "ours" (lines about the repository), "others" (lines about other sources), "lock_holder",
    "key_id", "urls" (other failing sources)} for one ``apt-get update`` (``output``: stdout and
    stderr together)."""
    lines = [ln for ln in problem_lines(output) if is_failure(ln)]
    # "W: Some index files failed to download" and friends name no source.
    sourced = [ln for ln in lines if URL.search(ln)]
    ours = [ln for ln in sourced if concerns(ln, repository_url)]
    others = [ln for ln in sourced if not concerns(ln, repository_url) and not ln.startswith("W: Conflicting")]
    lock = LOCK.search(output or "")
    result = {"ours": ours, "others": others, "lock_holder": None, "key_id": None,
              "urls": sorted(set(source_url(u) for ln in others for u in URL.findall(ln)))}
    if lock:
        result["lock_holder"] = ("process %s (%s)" % (lock.group(2), lock.group(3))) if lock.group(2) else None
        result["kind"] = "lock"
        return result
    text = " ".join(ours)
    key = NO_PUBKEY.search(text)
    fpr = MISSING_KEY.search(text)
    status = HTTP_STATUS.search(text)
    clock = NOT_VALID_YET.search(text)
    result["http_status"] = None
    if NO_SPACE.search(text) or (not ours and NO_SPACE.search(" ".join(lines))):
        result["kind"] = "no_space"
    elif status:
        # Before the signature checks: apt's "is not signed" then only means it got no file.
        result.update(kind="http_error", http_status="%s %s" % (status.group(1), status.group(2).strip()))
    elif key or fpr:
        result.update(kind="key_unknown", key_id=key.group(1) if key else fpr.group(1)[-16:],
                      key_fingerprint=fpr.group(1) if fpr else None)
    elif clock:
        result.update(kind="not_valid_yet", valid_in=clock.group(1))
    elif BAD_SIGNATURE.search(text):
        result["kind"] = "bad_signature"
    elif HASH.search(text):
        result["kind"] = "hash_mismatch"
    elif UNREACHABLE.search(text) or (ours and re.search(r"Failed to fetch", text)):
        result["kind"] = "unreachable"
    elif ours:
        result["kind"] = "failed"
    elif others:
        result["kind"] = "other_source"
    elif rc != 0:
        result["kind"] = "failed"
    else:
        result["kind"] = "ok"
    return result


def tail(text, lines=6, width=1500):
    kept = [ln.rstrip() for ln in (text or "").splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-width:]


def _short(line, width=240):
    """One apt message without the checksum lists it may carry."""
    line = re.split(r"\s+Hashes of expected file:", line)[0]
    return line if len(line) <= width else line[:width - 3] + "..."


def message(c, repository_url, rc, output, key_url="", published=None, pinned=""):
    """What the role says about a failed refresh (``c``: classify's answer). ``published``: the
    primary fingerprints of the key now at ``key_url`` (None: not fetched), to tell a key rotation
    from a repository signed by somebody else."""
    kind = c["kind"]
    said = "; ".join(_short(ln) for ln in (c["ours"] or c["others"])[:3]) or tail(output)
    head = "apt could not use NVIDIA's repository %s (apt-get update exit code %s): %s." % (repository_url, rc, said)
    if kind == "lock":
        return ("apt's package lists are locked%s and were not released within the lock timeout (unattended-upgrades "
                "or another apt refreshes them after boot). Wait for it, or raise cuda_repo_lock_timeout; nothing of "
                "NVIDIA's repository was changed." % (" by " + c["lock_holder"] if c["lock_holder"] else ""))
    if kind == "key_unknown":
        key_id = c["key_id"]
        match = [f for f in published or [] if f.upper().endswith(key_id)]
        if match:
            return ("%s NVIDIA's repository is now signed by key %s, and the key published at %s is that key (%s), "
                    "not the pinned %s: NVIDIA has rotated its signing key (as in 2022). Check the new fingerprint "
                    "against NVIDIA's announcement, then set cuda_repo_key_fingerprint to it." % (
                        head, key_id, key_url, match[0], pinned))
        return ("%s The repository is signed by key %s, which is not the pinned key %s%s: the repository is signed "
                "by somebody other than the key's publisher (a tampered or misconfigured mirror). Do not trust it." % (
                    head, key_id, pinned,
                    ", and the key published at %s is still the pinned one" % key_url if published else ""))
    if kind == "bad_signature":
        return ("%s The repository failed its signature verification: it was changed after it was signed, or is "
                "signed wrongly. Do not trust it; check the mirror." % head)
    if kind == "hash_mismatch":
        return ("%s Its files do not match the checksums its signed Release names, also when asked again: a mirror in "
                "the middle of a sync, or the files were changed after signing (the repository failed its checksum "
                "verification). Nothing of it was trusted; try again later, and check the mirror if it stays." % head)
    if kind == "unreachable":
        return ("%s Check that the repository is reachable from the guest (proxy, DNS, firewall, credentials)." % head)
    if kind == "no_space":
        return ("%s The disk holding apt's lists (/var) is full: apt could not write the index. Free space on /var "
                "(`apt-get clean`, `journalctl --vacuum-size=...`) and run the play again; nothing was trusted or "
                "changed for good." % head)
    if kind == "http_error":
        code = (c.get("http_status") or "").split(" ", 1)[0]
        why = {"401": "the server wants credentials, or refused the ones given: check the user and password in "
                      "cuda_repo_base_url (apt reads them from cuda_repo_auth_file)",
               "403": "the server (or a proxy between) refuses this guest: check the mirror's access rules and "
                      "the proxy's",
               "404": "there is no repository at that URL: check cuda_repo_base_url and the release directory",
               "407": "a proxy wants credentials: set them in apt's proxy configuration"}.get(
                   code, "the server or a proxy failed for now (a server error is retried once); try again later")
        return ("%s The server answered HTTP %s for the repository's index: %s. This is not a signature problem: apt "
                "got no file to verify (its 'is not signed' follows from that)." % (head, c.get("http_status"), why))
    if kind == "not_valid_yet":
        return ("%s The repository's Release file is dated in the guest's future (valid in %s): the guest's clock is "
                "behind. Set the clock (timedatectl set-ntp true, or the VM's RTC on the host), then run the play "
                "again; nothing was trusted." % (head, c.get("valid_in")))
    return head


def transient(c):
    """A failure worth one more try: files that do not match their checksums (a mirror mid-sync),
    a server error or a time-out of the server (HTTP 5xx, 408, 429)."""
    code = (c.get("http_status") or " ").split(" ", 1)[0]
    return c["kind"] == "hash_mismatch" or (c["kind"] == "http_error" and (code.startswith("5") or code in ("408", "429")))
