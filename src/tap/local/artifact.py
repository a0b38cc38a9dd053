"""The processor as Lambda runs it: imported from the extracted artifact, not the source tree."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final

from tap.interrupts import scratch_directory
from tap.local.errors import ArtifactError

ENTRY_MODULE: Final = "process_handler"
RUNTIME_PACKAGE: Final = "tap_processor"


@dataclass(frozen=True, slots=True)
class LoadedArtifact:
    """Every module imported from one extracted artifact, keyed by module name."""

    root: Path
    modules: dict[str, ModuleType]

    @property
    def entry(self) -> ModuleType:
        """The `process_handler` module at the zip root."""
        return self.modules[ENTRY_MODULE]

    def module(self, name: str) -> ModuleType:
        """One module of the artifact, e.g. `tap_processor.handler`."""
        try:
            return self.modules[name]
        except KeyError:
            raise ArtifactError(f"the artifact has no module {name!r}") from None


def _ours(name: str) -> bool:
    return name in (ENTRY_MODULE, RUNTIME_PACKAGE) or name.startswith(f"{RUNTIME_PACKAGE}.")


@contextmanager
def loaded_artifact(zip_path: Path) -> Iterator[LoadedArtifact]:
    """Extract the zip to a temporary directory and import its handler in isolation.

    The directory is removed on exit, and by tap.interrupts when Ctrl-C ends the process.

    Modules of the same names already imported (the source tree's) are set aside during the
    import and restored afterwards, so the loaded handler uses only the artifact's code.
    """
    with scratch_directory("tap-local-artifact-") as root:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(root)
        except (OSError, zipfile.BadZipFile) as error:
            raise ArtifactError(f"cannot extract the artifact {zip_path}: {error}") from error
        if not (root / f"{ENTRY_MODULE}.py").is_file():
            raise ArtifactError(f"{zip_path} has no {ENTRY_MODULE}.py at its root")
        # Runtime modules import lazily (boto3, botocore.config); load them first.
        importlib.import_module("boto3")
        importlib.import_module("botocore.config")
        set_aside = {name: sys.modules.pop(name) for name in list(sys.modules) if _ours(name)}
        sys.path.insert(0, str(root))
        importlib.invalidate_caches()
        try:
            importlib.import_module(ENTRY_MODULE)
            for name in ("tap_processor.handler", "tap_processor.logs", "tap_processor.metrics"):
                importlib.import_module(name)
            loaded = {name: sys.modules[name] for name in list(sys.modules) if _ours(name)}
        except Exception as error:
            raise ArtifactError(
                f"importing {ENTRY_MODULE} from {zip_path} failed: {error}"
            ) from error
        finally:
            sys.path.remove(str(root))
            for name in [n for n in sys.modules if _ours(n)]:
                del sys.modules[name]
            sys.modules.update(set_aside)
        outside = sorted(
            name
            for name, module in loaded.items()
            if not str(getattr(module, "__file__", "")).startswith(str(root))
        )
        if outside:
            raise ArtifactError(f"modules did not load from the artifact: {outside}")
        yield LoadedArtifact(root=root, modules=loaded)
