"""Where the office's own catalogue files are: `HUIZONG_CATALOGUE_DIR` (a folder with its
copy of indicators.yaml, departments.yaml, round.yaml and template.md), file by file
falling back to the example shipped in `schemas/data/` and `report/`."""

from __future__ import annotations

import shutil
from pathlib import Path

from config import get_settings

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    "indicators.yaml": PACKAGE_ROOT / "schemas" / "data" / "indicators.yaml",
    "departments.yaml": PACKAGE_ROOT / "schemas" / "data" / "departments.yaml",
    "round.yaml": PACKAGE_ROOT / "schemas" / "data" / "round.yaml",
    "template.md": PACKAGE_ROOT / "report" / "template.md",
}


def office_file(name: str) -> Path:
    """The office's copy of `name` if it has one, else the shipped example."""
    folder = get_settings().catalogue_dir
    if folder is not None and (folder / name).is_file():
        return folder / name
    return SHIPPED[name]


def copy_shipped(folder: Path) -> list[str]:
    """Write the shipped files the folder does not have yet (never overwriting the
    office's own); the names written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in SHIPPED.items():
        if not (folder / name).exists():
            shutil.copy2(source, folder / name)
            written.append(name)
    return written
