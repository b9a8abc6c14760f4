"""Uploaded zips are judged on their central directory before anything is inflated, and
inflated against a running budget whatever the headers claim (issue 14, item 2)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from exporters.archive import ArchiveError, Limits, declared_entries, read_zip, write_zip


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _lie_about_sizes(data: bytes, declared: int) -> bytes:
    """Every central-directory entry claims `declared` uncompressed bytes."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        struct.pack_into("<I", out, at + 24, declared)
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)


def test_the_entry_count_is_read_from_the_end_record_before_the_directory() -> None:
    data = write_zip({f"f{n}": b"" for n in range(30)})
    assert declared_entries(data) == 30
    with pytest.raises(ArchiveError, match="more than 20 entries"):
        read_zip(data, Limits(max_entries=20))


def test_a_huge_central_directory_is_refused_on_its_count_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = write_zip({f"f{n}": b"" for n in range(12_000)})

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", never)
    with pytest.raises(ArchiveError, match="more than 10000 entries"):
        read_zip(data)


def test_declared_totals_over_the_budget_are_refused_before_inflating() -> None:
    data = _zip({"a": b"x" * 6000, "b": b"y" * 6000})
    with pytest.raises(ArchiveError, match="more than 10000 bytes in all"):
        read_zip(data, Limits(max_total_bytes=10_000, max_entry_bytes=10_000))


def test_a_declared_bomb_ratio_is_refused_before_inflating() -> None:
    data = _zip({"bomb": b"\0" * 5_000_000})
    with pytest.raises(ArchiveError, match="zip bomb") as error:
        read_zip(data)
    assert error.value.where == "bomb"


def test_headers_that_understate_sizes_meet_the_running_budget() -> None:
    honest = _zip({"a": bytes(range(256)) * 40, "b": bytes(range(256)) * 40})  # 10 KiB each
    lying = _lie_about_sizes(honest, 100)
    with pytest.raises(ArchiveError):
        read_zip(lying, Limits(max_total_bytes=15_000, max_entry_bytes=15_000))
    assert len(read_zip(honest, Limits(max_total_bytes=30_000))) == 2


def test_not_a_zip_is_refused_plainly() -> None:
    with pytest.raises(ArchiveError, match="not a readable zip"):
        read_zip(b"hello")
