#!/usr/bin/env python3
"""Fill a workspace (made by `sohoa init`) with signed dossiers for the pack benchmark.

Usage: python3 bench/make_pack_workspace.py WS --orgs N --dossiers N --docs N --doc-bytes B

Each document is a scanned-looking PDF of about B bytes (bench/make_big_pdf.py's shape: image
streams of noise) standing as both the validated original and its signed copy, and the ledger
gets the rows that ingest, validate and sign would have written: dossier, document, a passed
validation, a signature. Running the real chain on gigabytes would take an hour; pack reads
only these rows and the files. Standard library only.
"""
import argparse
import hashlib
import os
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = "2026-12-01T08:00:00.000Z"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ws")
    ap.add_argument("--orgs", type=int, default=1)
    ap.add_argument("--dossiers", type=int, default=10)
    ap.add_argument("--docs", type=int, default=2)
    ap.add_argument("--doc-bytes", type=int, default=5_000_000)
    a = ap.parse_args()
    db = sqlite3.connect(os.path.join(a.ws, ".sohoa", "ledger.db"))
    pages = 5
    # Every document gets its own seed: files with the same bytes would let the page cache cheat.
    seed = 0
    types = [(2, "Ly lich dang vien"), (3, "Phieu dang vien"), (5, "Quyet dinh ket nap"),
             (7, "Giay chung nhan"), (9, "Ban tu kiem diem")]
    for o in range(a.orgs):
        org = "93.000.036.001.%03d" % (o + 1)
        for d in range(a.dossiers):
            cccd = "0930%08d" % (o * 100000 + d)
            folder = "%s/%s_NguyenVan%s" % (org, cccd, chr(65 + d % 26))
            os.makedirs(os.path.join(a.ws, folder), exist_ok=True)
            db.execute("INSERT INTO dossiers (org_code, cccd, person_name, folder, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", (org, cccd, "Nguyễn Văn A", folder, NOW))
            dossier_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            for k in range(a.docs):
                stt, name = types[k % len(types)]
                seed += 1
                rel = "%s/%02d.%s.pdf" % (folder, stt, name)
                signed = "%s/%02d.%s_signed.pdf" % (folder, stt, name)
                orig_abs = os.path.join(a.ws, rel)
                subprocess.run([sys.executable, os.path.join(HERE, "make_big_pdf.py"), orig_abs,
                                "--pages", str(pages), "--page-bytes",
                                str(a.doc_bytes // pages), "--seed", str(seed)], check=True)
                os.link(orig_abs, os.path.join(a.ws, signed))
                digest = sha256(orig_abs)
                db.execute("INSERT INTO documents (dossier_id, path, type_stt, sha256, pages, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           (dossier_id, rel, stt, digest, pages, NOW))
                db.execute("INSERT INTO validations (path, sha256, verdict, findings, "
                           "validated_at) VALUES (?, ?, 'pass', '[]', ?)", (rel, digest, NOW))
                db.execute("INSERT INTO signatures (input_path, input_sha256, output_path, "
                           "output_sha256, cert_sha256, signed_at) VALUES (?, ?, ?, ?, ?, ?)",
                           (rel, digest, signed, digest, "0" * 64, NOW))
    db.commit()


if __name__ == "__main__":
    main()
