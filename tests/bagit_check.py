#!/usr/bin/env python3
"""An independent BagIt (RFC 8493) validator, the outside judge of sohoa's bag tests.

Written from the RFC with the standard library only; it shares no code with sohoa.
    python3 tests/bagit_check.py BAG      (a folder, or a .zip holding one bag folder or the bag)
Prints each problem on one line and exits 1 when there is any, 0 when the bag is valid:
bagit.txt (version, encoding, no BOM), every manifest-<alg>.txt and tagmanifest-<alg>.txt present
(every payload file in every manifest, every listed file present, each checksum right), tag files
inside the bag, Payload-Oxum when bag-info.txt gives it.
"""
import hashlib
import os
import re
import sys
import zipfile

ALGS = {"md5", "sha1", "sha256", "sha512"}


class Bag:
    """The bag's files as {relative path: bytes}, from a folder or a ZIP."""

    def __init__(self, where):
        self.files = {}
        if os.path.isdir(where):
            for root, _dirs, names in os.walk(where):
                for name in names:
                    full = os.path.join(root, name)
                    rel = os.path.relpath(full, where).replace(os.sep, "/")
                    with open(full, "rb") as f:
                        self.files[rel] = f.read()
        else:
            with zipfile.ZipFile(where) as z:
                names = [n for n in z.namelist() if not n.endswith("/")]
                tops = {n.split("/", 1)[0] for n in names}
                strip = ""
                if len(tops) == 1 and not any(n == "bagit.txt" for n in names):
                    strip = tops.pop() + "/"
                for n in names:
                    self.files[n[len(strip):]] = z.read(n)


def lines(data):
    # RFC 8493 §2: lines end in LF, CR or CRLF.
    return re.split(r"\r\n|\r|\n", data.decode("utf-8"))


def decode_path(p):
    # RFC 8493 §2.1.3: only CR, LF and % are percent-encoded.
    return re.sub(r"%(0[dD]|0[aA]|25)", lambda m: {"0d": "\r", "0a": "\n", "25": "%"}[m.group(1).lower()], p)


def read_manifest(bag, name, problems):
    entries = {}
    for number, line in enumerate(lines(bag.files[name]), 1):
        if not line.strip():
            continue
        m = re.match(r"^([0-9a-fA-F]+)[ \t]+(.+)$", line)
        if not m:
            problems.append(f"{name}:{number}: not '<checksum> <path>'")
            continue
        path = decode_path(m.group(2))
        if path in entries:
            problems.append(f"{name}:{number}: {path} listed twice")
        entries[path] = m.group(1).lower()
    return entries


def check_bagit(bag, problems):
    data = bag.files.get("bagit.txt")
    if data is None:
        problems.append("bagit.txt: missing")
        return
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append("bagit.txt: byte-order mark")
        data = data[3:]
    fields = dict(l.split(": ", 1) for l in lines(data) if ": " in l)
    if fields.get("BagIt-Version") not in ("1.0", "0.97"):
        problems.append(f"bagit.txt: BagIt-Version {fields.get('BagIt-Version')!r}")
    if fields.get("Tag-File-Character-Encoding", "").upper() != "UTF-8":
        problems.append("bagit.txt: Tag-File-Character-Encoding is not UTF-8")


def check_manifests(bag, problems):
    payload = {p for p in bag.files if p.startswith("data/")}
    manifests = [n for n in bag.files if re.fullmatch(r"manifest-([a-z0-9]+)\.txt", n)]
    if not manifests:
        problems.append("no payload manifest")
    for name in manifests:
        alg = name[len("manifest-"):-4]
        if alg not in ALGS:
            problems.append(f"{name}: unknown algorithm")
            continue
        entries = read_manifest(bag, name, problems)
        for path, digest in sorted(entries.items()):
            if not path.startswith("data/") or ".." in path.split("/"):
                problems.append(f"{name}: {path} is outside the payload")
            elif path not in bag.files:
                problems.append(f"{name}: {path} listed but missing")
            elif hashlib.new(alg, bag.files[path]).hexdigest() != digest:
                problems.append(f"{name}: {path} checksum mismatch")
        for path in sorted(payload - set(entries)):
            problems.append(f"{name}: {path} present but not listed")


def check_tagmanifests(bag, problems):
    for name in [n for n in bag.files if re.fullmatch(r"tagmanifest-([a-z0-9]+)\.txt", n)]:
        alg = name[len("tagmanifest-"):-4]
        if alg not in ALGS:
            problems.append(f"{name}: unknown algorithm")
            continue
        for path, digest in sorted(read_manifest(bag, name, problems).items()):
            if path.startswith("data/") or path not in bag.files:
                problems.append(f"{name}: {path} is not a tag file of the bag")
            elif hashlib.new(alg, bag.files[path]).hexdigest() != digest:
                problems.append(f"{name}: {path} checksum mismatch")


def check_oxum(bag, problems):
    data = bag.files.get("bag-info.txt")
    if data is None:
        return
    for line in lines(data):
        if line.startswith("Payload-Oxum:"):
            want = line.split(":", 1)[1].strip()
            payload = [p for p in bag.files if p.startswith("data/")]
            have = f"{sum(len(bag.files[p]) for p in payload)}.{len(payload)}"
            if want != have:
                problems.append(f"bag-info.txt: Payload-Oxum {want}, payload is {have}")


def main():
    if len(sys.argv) != 2:
        print("usage: bagit_check.py BAG-FOLDER-OR-ZIP", file=sys.stderr)
        return 2
    bag = Bag(sys.argv[1])
    problems = []
    try:
        check_bagit(bag, problems)
        check_manifests(bag, problems)
        check_tagmanifests(bag, problems)
        check_oxum(bag, problems)
    except UnicodeDecodeError as e:
        problems.append(f"tag file not UTF-8: {e}")
    for p in problems:
        print(p)
    print("valid" if not problems else f"invalid: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
