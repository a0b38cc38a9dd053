"""read_text: only regular files, never more than the limit, UTF-8 or a one-line refusal."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tap.textfile import TextFileError, read_text

LIMIT = 1024


def within(seconds: float, call: Callable[[], str]) -> str:
    """`call()`'s result; fails (instead of hanging the suite) when it blocks for `seconds`."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed back to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still blocked after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return str(outcome["value"])


def refusal(path: Path, limit: int = LIMIT) -> str:
    with pytest.raises(TextFileError) as caught:
        within(10, lambda: read_text(path, limit=limit, what="a test file"))
    return str(caught.value)


def test_a_regular_utf8_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("name: tap ✓\n", encoding="utf-8")

    assert read_text(path, limit=LIMIT, what="a test file") == "name: tap ✓\n"


def test_a_utf8_byte_order_mark_is_dropped_as_pulumi_drops_it(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: tap\n")

    assert read_text(path, limit=LIMIT, what="a test file") == "name: tap\n"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)

    assert refusal(fifo) == f"{fifo}: cannot read: a named pipe (FIFO), not a regular file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_link_to_a_device_is_refused_before_reading(tmp_path: Path, device: str) -> None:
    link = tmp_path / "f.yaml"
    link.symlink_to(device)

    assert refusal(link) == f"{link}: cannot read: a character device, not a regular file"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "f.yaml"
    directory.mkdir()

    assert refusal(directory) == f"{directory}: cannot read: Is a directory"


def test_a_missing_file_is_refused_with_the_os_reason(tmp_path: Path) -> None:
    missing = tmp_path / "f.yaml"

    assert refusal(missing) == f"{missing}: cannot read: No such file or directory"


def test_a_file_over_the_limit_is_refused_and_the_limit_named(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a" * (2 * 1024 * 1024 + 1))

    assert refusal(path, limit=2 * 1024 * 1024) == (
        f"{path}: cannot read: larger than 2 MiB, the most tap reads from a test file"
    )


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a" * LIMIT)

    assert len(read_text(path, limit=LIMIT, what="a test file")) == LIMIT


def test_a_file_that_is_not_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"name: t\xe9p\n")

    assert refusal(path) == f"{path}: not UTF-8 text (byte 7 is 0xe9)"


@pytest.mark.parametrize(("encoding", "first"), [("utf-16-le", 0xFF), ("utf-16-be", 0xFE)])
def test_a_utf16_file_is_named_as_such(tmp_path: Path, encoding: str, first: int) -> None:
    path = tmp_path / "f.json"
    path.write_bytes('\ufeff{"project": "tap"}'.encode(encoding))

    assert refusal(path) == (
        f"{path}: not UTF-8 text (byte 0 is 0x{first:02x}); it looks like UTF-16, save it as UTF-8"
    )
