"""Deterministic, content-addressed build of the processor's Lambda zip.

Pulumi hashes a zip FileArchive byte for byte, so the same sources must give the same bytes on
every machine, every day, from every working directory; otherwise every preview shows a diff.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tap.errors import TapError
from tap.interrupts import scratch_directory

FORMAT_VERSION: Final = "1"
"""Bump when the zip layout or encoding changes, so old cache entries are not reused."""
ENTRY_MODULE: Final = "process_handler.py"
"""The module of the handler (`tap.config.model.HANDLER`), at the zip root."""
PACKAGE: Final = "tap_processor"
LOCK_NAME: Final = "requirements.lock"
SUPPORTED_RUNTIMES: Final = ("python3.12", "python3.13", "python3.14")
PLATFORMS: Final = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
PREBUILT_VARIABLE: Final = "TAP_ARTIFACT"
"""Path of a zip CI built once (`tap package`); the program deploys it instead of building."""
PREBUILT_SHA256_VARIABLE: Final = "TAP_ARTIFACT_SHA256"
"""The hex sha256 CI recorded for that zip; the program refuses a zip with other bytes."""

ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)
FILE_MODE: Final = 0o644
# Stored, not deflated: deflate output differs between zlib builds (zlib vs zlib-ng), which
# would break byte-identity across machines. The processor's sources are a few tens of KB.
COMPRESSION: Final = zipfile.ZIP_STORED
_UNIX: Final = 3

_EXCLUDED_DIRS: Final = frozenset({"__pycache__", "bin"})
_EXCLUDED_SUFFIXES: Final = (".pyc", ".pyo")
_RUNTIME: Final = re.compile(r"python3\.(\d+)")

PipRunner = Callable[[Sequence[str]], None]


class PackagingError(TapError):
    """Base class for every packaging failure."""

    prefix = "packaging failed"


class UnsupportedTargetError(PackagingError):
    """The runtime or architecture is not one Lambda offers for this artifact."""


class SourceError(PackagingError):
    """The processor sources or their lock file are missing or unusable."""


class DependencyInstallError(PackagingError):
    """pip could not install the locked dependencies for the Lambda platform."""


class ArtifactMismatchError(PackagingError):
    """A prebuilt zip is unreadable, or its bytes are not the ones CI recorded."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """A built zip and its identity."""

    path: Path
    sha256: str
    """Hex SHA-256 of the zip bytes: what Pulumi's FileArchive hash is computed from."""
    size: int
    cached: bool
    """True when the zip came from the cache and nothing was built."""


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """One file in the artifact: its name inside the zip and its bytes."""

    arcname: str
    data: bytes


def repo_root() -> Path:
    """Return the repository root, found from this file rather than the working directory."""
    return Path(__file__).resolve().parents[2]


def default_source_dir() -> Path:
    """Return the processor package directory, src/tap_processor."""
    return repo_root() / "src" / PACKAGE


def default_cache_dir() -> Path:
    """Return <repo root>/.tap/artifacts, which is gitignored."""
    return repo_root() / ".tap" / "artifacts"


def run_pip(args: Sequence[str]) -> None:
    """Run pip from the current interpreter; raise DependencyInstallError on failure."""
    completed = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-15:])
        raise DependencyInstallError(f"pip install failed (exit {completed.returncode}):\n{tail}")


def build_artifact(
    *,
    runtime: str = "python3.12",
    architecture: str = "arm64",
    output_dir: Path | None = None,
    cache_dir: Path | None = None,
    source_dir: Path | None = None,
    lock_file: Path | None = None,
    find_links: Path | None = None,
    index_url: str | None = None,
    pip_runner: PipRunner | None = None,
) -> Artifact:
    """Return the processor zip for a runtime and architecture, building it only when needed.

    find_links switches pip to `--no-index --find-links`, for offline builds and tests.
    """
    python_version = _python_version(runtime)
    platform = _platform(architecture)
    sources = _source_entries(source_dir or default_source_dir())
    lock = lock_file or (source_dir or default_source_dir()) / LOCK_NAME
    lock_bytes = _read_lock(lock)
    key = cache_key(sources, lock_bytes, runtime=runtime, architecture=architecture)
    cache = cache_dir or default_cache_dir()
    cached_path = cache / f"tap-processor-{runtime}-{architecture}-{key}.zip"

    cached = cached_path.is_file()
    if not cached:
        cache.mkdir(parents=True, exist_ok=True)
        with scratch_directory(".build-", cache) as scratch:
            vendored: list[ZipEntry] = []
            if _requirements(lock_bytes):
                target = Path(scratch) / "site"
                runner = pip_runner or run_pip
                runner(
                    _pip_args(
                        lock=lock,
                        target=target,
                        platform=platform,
                        python_version=python_version,
                        find_links=find_links,
                        index_url=index_url,
                    )
                )
                vendored = _vendored_entries(target)
            partial = Path(scratch) / "artifact.zip"
            write_zip(partial, _merge(sources, vendored))
            os.replace(partial, cached_path)

    path = cached_path
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        path = output_dir / cached_path.name
        shutil.copyfile(cached_path, path)
    data = path.read_bytes()
    return Artifact(
        path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), cached=cached
    )


def program_artifact(*, runtime: str, architecture: str, environ: Mapping[str, str]) -> Artifact:
    """The zip the program deploys: the prebuilt one `$TAP_ARTIFACT` names, checked against
    `$TAP_ARTIFACT_SHA256`, or else one built from this checkout."""
    path, sha256 = environ.get(PREBUILT_VARIABLE), environ.get(PREBUILT_SHA256_VARIABLE)
    if path is None and sha256 is None:
        return build_artifact(runtime=runtime, architecture=architecture)
    if not path or not sha256:
        raise ArtifactMismatchError(
            f"set both {PREBUILT_VARIABLE} and {PREBUILT_SHA256_VARIABLE}, or neither"
        )
    return prebuilt_artifact(Path(path), sha256)


def prebuilt_artifact(path: Path, sha256: str) -> Artifact:
    """A zip built elsewhere, whose bytes must hash to `sha256` (hex) before it is deployed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArtifactMismatchError(
            f"cannot read the prebuilt artifact {path}: {error.strerror}"
        ) from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256.strip().lower():
        raise ArtifactMismatchError(
            f"{path} has sha256 {digest}, not the recorded {sha256.strip()}; refusing to deploy it"
        )
    return Artifact(path=path.resolve(), sha256=digest, size=len(data), cached=True)


def artifact_path(*, runtime: str = "python3.12", architecture: str = "arm64") -> Path:
    """Return the path of the built zip, for `pulumi.FileArchive(path)`."""
    return build_artifact(runtime=runtime, architecture=architecture).path


def cache_key(sources: Sequence[ZipEntry], lock: bytes, *, runtime: str, architecture: str) -> str:
    """Return the hex SHA-256 naming a cache entry; every input is length-prefixed."""
    parts = [FORMAT_VERSION.encode(), runtime.encode(), architecture.encode(), lock]
    for entry in sorted(sources, key=lambda e: e.arcname):
        parts += [entry.arcname.encode(), entry.data]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def write_zip(path: Path, entries: Sequence[ZipEntry]) -> None:
    """Write entries sorted by name with fixed timestamps, modes, host and compression."""
    with zipfile.ZipFile(path, "w", compression=COMPRESSION) as archive:
        for entry in sorted(entries, key=lambda e: e.arcname):
            info = zipfile.ZipInfo(entry.arcname, date_time=ZIP_DATE_TIME)
            info.compress_type = COMPRESSION
            info.create_system = _UNIX
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, entry.data)


def _python_version(runtime: str) -> str:
    match = _RUNTIME.fullmatch(runtime)
    if match is None or runtime not in SUPPORTED_RUNTIMES:
        raise UnsupportedTargetError(
            f"runtime {runtime!r} is not supported; use one of {', '.join(SUPPORTED_RUNTIMES)}"
        )
    return f"3.{match.group(1)}"


def _platform(architecture: str) -> str:
    if architecture not in PLATFORMS:
        raise UnsupportedTargetError(
            f"architecture {architecture!r} is not supported; use one of {', '.join(PLATFORMS)}"
        )
    return PLATFORMS[architecture]


def _excluded(relative: Path) -> bool:
    return any(part in _EXCLUDED_DIRS for part in relative.parts[:-1]) or relative.name.endswith(
        _EXCLUDED_SUFFIXES
    )


def _source_entries(source_dir: Path) -> list[ZipEntry]:
    """Return the package's .py files under tap_processor/, with the entry module at the root."""
    if not (source_dir / ENTRY_MODULE).is_file():
        raise SourceError(f"{source_dir} has no {ENTRY_MODULE}; is it the processor package?")
    entries = []
    for path in sorted(source_dir.rglob("*.py")):
        relative = path.relative_to(source_dir)
        if _excluded(relative) or not path.is_file():
            continue
        name = relative.as_posix()
        arcname = name if name == ENTRY_MODULE else f"{PACKAGE}/{name}"
        # A Windows checkout with core.autocrlf must not change the artifact.
        entries.append(ZipEntry(arcname, path.read_bytes().replace(b"\r\n", b"\n")))
    return entries


def _read_lock(lock: Path) -> bytes:
    try:
        return lock.read_bytes()
    except OSError as error:
        raise SourceError(f"cannot read the dependency lock {lock}: {error.strerror}") from error


def _requirements(lock: bytes) -> list[str]:
    """Return the lock's requirement lines; an all-comment lock means no dependencies."""
    lines = lock.decode("utf-8").splitlines()
    return [line for line in (raw.strip() for raw in lines) if line and not line.startswith("#")]


def _pip_args(
    *,
    lock: Path,
    target: Path,
    platform: str,
    python_version: str,
    find_links: Path | None,
    index_url: str | None,
) -> list[str]:
    args = [
        "install",
        "--target",
        str(target),
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--require-hashes",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(lock),
    ]
    if find_links is not None:
        args += ["--no-index", "--find-links", str(find_links)]
    elif index_url is not None:
        args += ["--index-url", index_url]
    return args


def _vendored_entries(target: Path) -> list[ZipEntry]:
    """Return installed files, minus console scripts (absolute shebangs) and bytecode."""
    if not target.is_dir():
        return []
    entries = []
    for path in sorted(target.rglob("*")):
        relative = path.relative_to(target)
        if relative.parts[0] in _EXCLUDED_DIRS or _excluded(relative) or not path.is_file():
            continue
        entries.append(ZipEntry(relative.as_posix(), path.read_bytes()))
    return entries


def _merge(sources: list[ZipEntry], vendored: list[ZipEntry]) -> list[ZipEntry]:
    """Return all entries, refusing a dependency that would shadow the processor's own files."""
    ours = {e.arcname for e in sources}
    clashes = sorted(
        e.arcname
        for e in vendored
        if e.arcname in ours or e.arcname.split("/", 1)[0] in {PACKAGE, ENTRY_MODULE}
    )
    if clashes:
        raise DependencyInstallError(f"locked dependencies overwrite processor files: {clashes}")
    return [*sources, *vendored]
