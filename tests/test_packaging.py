"""The processor artifact: deterministic bytes, a content-addressed cache, an importable handler."""

import base64
import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from tap import packaging
from tap.config.model import HANDLER
from tap.packaging import (
    Artifact,
    DependencyInstallError,
    SourceError,
    UnsupportedTargetError,
    artifact_path,
    build_artifact,
    default_cache_dir,
    default_source_dir,
)
from tests.support.paths import REPO_ROOT


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A private copy of the processor sources, so a test can change them."""
    copy = tmp_path / "src-copy" / "tap_processor"
    shutil.copytree(
        default_source_dir(), copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return copy


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def _names(artifact: Artifact) -> list[str]:
    with zipfile.ZipFile(artifact.path) as archive:
        return archive.namelist()


def _wheel(directory: Path, name: str = "tinydep", version: str = "0.1.0") -> Path:
    """Build a pure-python wheel with a console script, without the network or build tools."""
    dist_info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n\n\ndef main() -> None:\n    pass\n",
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        ),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": f"[console_scripts]\n{name}-cli = {name}:main\n".encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture
def locked_dependency(tmp_path: Path, sources: Path) -> Path:
    """A local wheel index with one wheel, pinned by hash in the copied sources' lock."""
    wheels = tmp_path / "wheels"
    wheel = _wheel(wheels)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (sources / "requirements.lock").write_text(f"tinydep==0.1.0 --hash=sha256:{digest}\n")
    return wheels


def test_two_builds_of_the_same_sources_are_byte_identical(sources: Path, tmp_path: Path) -> None:
    # GIVEN two empty caches
    # WHEN the same sources are built into each
    first = build_artifact(source_dir=sources, cache_dir=tmp_path / "a")
    second = build_artifact(source_dir=sources, cache_dir=tmp_path / "b")
    # THEN both builds ran and produced the same bytes
    assert (first.cached, second.cached) == (False, False)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert first.size == first.path.stat().st_size


def test_build_from_another_working_directory_gives_the_same_bytes(
    sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a build from the repository root
    monkeypatch.chdir(REPO_ROOT)
    here = build_artifact(source_dir=sources, cache_dir=tmp_path / "a")
    # WHEN the same sources are built from an unrelated directory
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    there = build_artifact(source_dir=sources, cache_dir=tmp_path / "b")
    # THEN the bytes are the same
    assert here.path.read_bytes() == there.path.read_bytes()


def test_default_cache_is_under_the_repo_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the working directory is somewhere unrelated
    monkeypatch.chdir(tmp_path)
    # WHEN the real sources are built with default locations
    artifact = build_artifact()
    # THEN the zip lives in <repo>/.tap/artifacts and nothing was written to the cwd
    assert default_cache_dir() == REPO_ROOT / ".tap" / "artifacts"
    assert artifact.path.parent == default_cache_dir()
    assert list(tmp_path.iterdir()) == []
    assert artifact_path() == artifact.path


def test_zip_entries_are_sorted_with_fixed_metadata_and_no_bytecode(
    sources: Path, cache: Path
) -> None:
    # GIVEN sources with stray bytecode and an editor's backup file
    (sources / "__pycache__").mkdir()
    (sources / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\x00bytecode")
    (sources / "stray.pyc").write_bytes(b"\x00bytecode")
    (sources / "handler.py~").write_text("backup")
    # WHEN built
    artifact = build_artifact(source_dir=sources, cache_dir=cache)
    # THEN the entries are exactly the package's .py files, sorted, with fixed metadata
    with zipfile.ZipFile(artifact.path) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    package = sorted(
        f"tap_processor/{p.relative_to(sources).as_posix()}"
        for p in sources.rglob("*.py")
        if p.name != "process_handler.py" and "__pycache__" not in p.parts
    )
    expected = ["process_handler.py", *package]
    assert names == sorted(names) == expected
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
    assert {i.create_system for i in infos} == {3}


def test_crlf_checkout_builds_the_same_zip(sources: Path, tmp_path: Path) -> None:
    # GIVEN a copy of the sources with Windows line endings
    crlf = tmp_path / "crlf" / "tap_processor"
    shutil.copytree(sources, crlf)
    for path in crlf.rglob("*.py"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    # WHEN both are built
    lf = build_artifact(source_dir=sources, cache_dir=tmp_path / "a")
    windows = build_artifact(source_dir=crlf, cache_dir=tmp_path / "b")
    # THEN the artifacts are identical
    assert lf.sha256 == windows.sha256


@pytest.mark.slow  # runs pip
def test_second_build_is_served_from_cache_without_running_pip(
    sources: Path, cache: Path, locked_dependency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a lock with one dependency and a pip runner that counts its calls
    calls: list[Sequence[str]] = []
    real_run_pip = packaging.run_pip

    def counting_pip(args: Sequence[str]) -> None:
        calls.append(args)
        real_run_pip(args)

    monkeypatch.setattr(packaging, "run_pip", counting_pip)
    # WHEN built twice with nothing changed
    first = build_artifact(source_dir=sources, cache_dir=cache, find_links=locked_dependency)
    second = build_artifact(source_dir=sources, cache_dir=cache, find_links=locked_dependency)
    # THEN pip ran once, and the second build is the cached, identical zip
    assert len(calls) == 1
    assert (first.cached, second.cached) == (False, True)
    assert (second.path, second.sha256) == (first.path, first.sha256)


@pytest.mark.slow  # runs pip
def test_locked_dependency_is_installed_for_the_lambda_platform_and_vendored(
    sources: Path, cache: Path, locked_dependency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a pip runner that records its arguments
    seen: list[Sequence[str]] = []
    real_run_pip = packaging.run_pip

    def recording_pip(args: Sequence[str]) -> None:
        seen.append(args)
        real_run_pip(args)

    monkeypatch.setattr(packaging, "run_pip", recording_pip)
    # WHEN built for x86_64 on python3.13
    artifact = build_artifact(
        runtime="python3.13",
        architecture="x86_64",
        source_dir=sources,
        cache_dir=cache,
        find_links=locked_dependency,
    )
    # THEN pip was pinned to the Lambda platform, binaries only, hashes required, offline
    [args] = seen
    joined = " ".join(args)
    for flag in (
        "--platform manylinux2014_x86_64",
        "--python-version 3.13",
        "--implementation cp",
        "--only-binary=:all:",
        "--require-hashes",
        "--no-compile",
        f"--no-index --find-links {locked_dependency}",
    ):
        assert flag in joined
    # AND the wheel is vendored at the zip root, without console scripts or bytecode
    names = _names(artifact)
    assert "tinydep/__init__.py" in names
    assert "tinydep-0.1.0.dist-info/METADATA" in names
    assert not [n for n in names if n.startswith("bin/") or n.endswith(".pyc")]


@pytest.mark.slow  # runs pip
def test_vendored_build_is_byte_identical_across_caches(
    sources: Path, tmp_path: Path, locked_dependency: Path
) -> None:
    # GIVEN the same sources and lock / WHEN built into two caches
    first = build_artifact(
        source_dir=sources, cache_dir=tmp_path / "a", find_links=locked_dependency
    )
    second = build_artifact(
        source_dir=sources, cache_dir=tmp_path / "b", find_links=locked_dependency
    )
    # THEN pip's install (timestamps, RECORD, INSTALLER) leaves no trace in the bytes
    assert first.sha256 == second.sha256


@pytest.mark.slow  # runs pip
def test_lock_with_a_wrong_hash_fails_with_a_typed_error(
    sources: Path, cache: Path, locked_dependency: Path
) -> None:
    # GIVEN a lock whose hash does not match the wheel
    (sources / "requirements.lock").write_text(f"tinydep==0.1.0 --hash=sha256:{'0' * 64}\n")
    # WHEN built / THEN pip's refusal surfaces as DependencyInstallError and nothing is cached
    with pytest.raises(DependencyInstallError, match="HASH"):
        build_artifact(source_dir=sources, cache_dir=cache, find_links=locked_dependency)
    assert not list(cache.glob("*.zip"))


def test_empty_lock_never_runs_pip(
    sources: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the committed lock, which lists no dependencies
    def refuse(args: Sequence[str]) -> None:
        raise AssertionError(f"pip must not run: {args}")

    monkeypatch.setattr(packaging, "run_pip", refuse)
    # WHEN built
    artifact = build_artifact(source_dir=sources, cache_dir=cache)
    # THEN only the processor's own files are in the zip
    assert all(
        n == "process_handler.py" or n.startswith("tap_processor/") for n in _names(artifact)
    )


@pytest.mark.parametrize(
    ("change", "description"),
    [
        (lambda d: (d / "event.py").write_text((d / "event.py").read_text() + "\n# x\n"), "edit"),
        (lambda d: (d / "extra.py").write_text('"""New module."""\n'), "new file"),
        (lambda d: (d / "env.py").rename(d / "env2.py"), "rename"),
        (lambda d: (d / "requirements.lock").write_text("# changed\n"), "lock"),
    ],
)
def test_changing_any_input_changes_the_cache_key(
    sources: Path, cache: Path, change: object, description: str
) -> None:
    # GIVEN a built artifact
    before = build_artifact(source_dir=sources, cache_dir=cache)
    # WHEN a source or the lock changes
    change(sources)  # type: ignore[operator]
    after = build_artifact(source_dir=sources, cache_dir=cache)
    # THEN a new entry is built rather than the stale one reused
    assert not after.cached, description
    assert after.path != before.path
    if description != "lock":
        assert after.sha256 != before.sha256


def test_runtime_and_architecture_are_part_of_the_cache_key(sources: Path, cache: Path) -> None:
    arm = build_artifact(source_dir=sources, cache_dir=cache)
    x86 = build_artifact(source_dir=sources, cache_dir=cache, architecture="x86_64")
    py313 = build_artifact(source_dir=sources, cache_dir=cache, runtime="python3.13")
    assert len({arm.path, x86.path, py313.path}) == 3
    assert not x86.cached
    assert not py313.cached


def test_output_dir_receives_a_copy_of_the_cached_zip(
    sources: Path, cache: Path, tmp_path: Path
) -> None:
    # GIVEN an output directory / WHEN built into it
    artifact = build_artifact(source_dir=sources, cache_dir=cache, output_dir=tmp_path / "out")
    # THEN the returned path is there, with the cached bytes
    assert artifact.path.parent == tmp_path / "out"
    [cached] = cache.glob("*.zip")
    assert artifact.path.read_bytes() == cached.read_bytes()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"runtime": "python3.9"}, "runtime 'python3.9'"),
        ({"runtime": "nodejs20.x"}, "runtime"),
        ({"architecture": "aarch64"}, "architecture 'aarch64'"),
    ],
)
def test_unsupported_targets_are_refused(
    sources: Path, cache: Path, kwargs: dict[str, str], fragment: str
) -> None:
    with pytest.raises(UnsupportedTargetError, match=fragment):
        build_artifact(source_dir=sources, cache_dir=cache, **kwargs)  # type: ignore[arg-type]


def test_a_directory_without_the_entry_module_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"process_handler\.py"):
        build_artifact(source_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_handler_imports_from_the_extracted_zip_alone(
    sources: Path, cache: Path, tmp_path: Path
) -> None:
    # GIVEN the artifact extracted like Lambda does into /var/task
    artifact = build_artifact(source_dir=sources, cache_dir=cache)
    task = tmp_path / "task"
    with zipfile.ZipFile(artifact.path) as archive:
        archive.extractall(task)
    # WHEN a fresh interpreter imports the configured handler from there
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import process_handler, tap_processor; "
        "assert callable(process_handler.lambda_handler); "
        "assert tap_processor.__file__.startswith(sys.argv[1]), tap_processor.__file__; "
        "assert 'tap' not in sys.modules; print(process_handler.lambda_handler.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(task)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    # THEN it resolves to the zip's copy of the package and never pulls in the infra package
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tap_processor.handler"
    assert HANDLER == "process_handler.lambda_handler"
    assert f"{HANDLER.partition('.')[0]}.py" == packaging.ENTRY_MODULE


def _prebuilt(sources: Path, tmp_path: Path) -> Artifact:
    """A zip built from changed sources: bytes the checkout's own build would not give."""
    (sources / "marker.py").write_text("BUILD = 'ci'\n")
    return build_artifact(source_dir=sources, cache_dir=tmp_path / "ci", output_dir=tmp_path)


def test_the_program_takes_the_prebuilt_zip_whose_sha256_matches(
    sources: Path, tmp_path: Path
) -> None:
    prebuilt = _prebuilt(sources, tmp_path)
    environ = {"TAP_ARTIFACT": str(prebuilt.path), "TAP_ARTIFACT_SHA256": prebuilt.sha256.upper()}

    chosen = packaging.program_artifact(runtime="python3.12", architecture="arm64", environ=environ)

    assert chosen.path == prebuilt.path
    assert chosen.sha256 == hashlib.sha256(prebuilt.path.read_bytes()).hexdigest()
    assert chosen.sha256 != build_artifact().sha256


def test_the_program_refuses_a_prebuilt_zip_whose_bytes_changed(
    sources: Path, tmp_path: Path
) -> None:
    prebuilt = _prebuilt(sources, tmp_path)
    recorded = prebuilt.sha256
    with prebuilt.path.open("ab") as zip_file:
        zip_file.write(b"\0")
    environ = {"TAP_ARTIFACT": str(prebuilt.path), "TAP_ARTIFACT_SHA256": recorded}

    with pytest.raises(packaging.ArtifactMismatchError) as refused:
        packaging.program_artifact(runtime="python3.12", architecture="arm64", environ=environ)

    assert f"not the recorded {recorded}; refusing to deploy it" in str(refused.value)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TAP_ARTIFACT": "x.zip"}, "set both TAP_ARTIFACT and TAP_ARTIFACT_SHA256, or neither"),
        ({"TAP_ARTIFACT_SHA256": "ab"}, "set both TAP_ARTIFACT and TAP_ARTIFACT_SHA256"),
        (
            {"TAP_ARTIFACT": "/nonexistent/a.zip", "TAP_ARTIFACT_SHA256": "ab"},
            "cannot read the prebuilt artifact /nonexistent/a.zip: No such file or directory",
        ),
    ],
)
def test_a_half_named_or_missing_prebuilt_zip_is_refused(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(packaging.ArtifactMismatchError, match=message):
        packaging.program_artifact(runtime="python3.12", architecture="arm64", environ=environ)


def test_the_readme_states_the_zip_size_to_within_a_fifth(tmp_path: Path) -> None:
    """The README's `(N KB zip)` is the artifact `tap package` builds from these sources, so it
    cannot drift again unnoticed (it said 31 KB of a 59,872-byte zip)."""
    stated = re.findall(r"\((\d+) KB zip\)", (REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    artifact = build_artifact(cache_dir=tmp_path)

    assert len(stated) == 1
    assert abs(int(stated[0]) * 1000 - artifact.size) <= artifact.size / 5, artifact.size
