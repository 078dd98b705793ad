"""The benchmark's filled copy of a mirror that lacks blobs: every tree can be archived again, the
missing files are empty, everything else (files, messages, refs, dates) is the mirror's."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from fill_missing_blobs import fill_missing_blobs, missing_blobs  # noqa: E402


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def lacking_mirror(tmp_path: Path) -> tuple[Path, str]:
    """A bare mirror with two commits and a pull ref, whose big file's blob was left out."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.email", "dev@example.com")
    git(work, "config", "user.name", "dev")
    (work / "code.py").write_text("print('hi')\n")
    (work / "big.gif").write_bytes(b"GIF89a" + bytes(range(256)) * 64)
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "Add the data (#7)")
    big = git(work, "hash-object", "big.gif").strip()
    (work / "code.py").write_text("print('hello')\n")
    # a message line that reads like a fast-import file entry of the missing blob stays as it is
    git(work, "commit", "-q", "-am", f"Say hello (#8)\n\nM 100644 {big} big.gif\n")
    git(work, "update-ref", "refs/pull/8/head", "HEAD")
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--mirror", "--no-local", str(work), str(mirror)], check=True)
    git(mirror, "repack", "-a", "-d", "-q")
    # rebuild the pack without the big blob, as a snapshot that leaves out its largest files
    listing = git(mirror, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    kept = "".join(f"{sha}\n" for sha in listing if sha != big).encode()
    packing = ["git", "-C", str(mirror), "pack-objects", "-q", "--stdout"]
    pack = subprocess.run(packing, input=kept, capture_output=True, check=True).stdout
    for old in (mirror / "objects" / "pack").iterdir():
        old.unlink()
    subprocess.run(["git", "-C", str(mirror), "index-pack", "--stdin"], input=pack, check=True)
    return mirror, big


def test_a_mirror_lacking_a_blob_is_filled_with_an_empty_file_and_keeps_the_rest(tmp_path: Path) -> None:
    mirror, big = lacking_mirror(tmp_path)
    assert missing_blobs(mirror) == [big]
    failed = subprocess.run(["git", "-C", str(mirror), "archive", "HEAD"], capture_output=True)
    assert failed.returncode != 0  # what every env build of such a mirror ran into

    filled = tmp_path / "filled.git"
    assert fill_missing_blobs(mirror, filled) == ["big.gif"]

    assert missing_blobs(filled) == []
    archive = subprocess.run(["git", "-C", str(filled), "archive", "HEAD"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    assert files == {"big.gif": b"", "code.py": b"print('hello')\n"}
    assert git(filled, "for-each-ref", "--format=%(refname)").split() == [
        "refs/heads/main",
        "refs/pull/8/head",
    ]
    assert git(filled, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    log = "%ad|%an|%B"
    assert git(filled, "log", f"--format={log}", "main") == git(mirror, "log", f"--format={log}", "main")
    # the copy is a function of the mirror: the same commit ids every time
    again = tmp_path / "again.git"
    fill_missing_blobs(mirror, again)
    assert git(again, "rev-parse", "main") == git(filled, "rev-parse", "main")
