"""Which department sent a file: the 填报单位 cell, then the inbox folder, then the file name."""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemas.departments import Department, Registry
from schemas.names import fold
from schemas.observation import FileIssue
from transforms.grid import Grid

SEARCH_ROWS = 12
_UNIT_CELL = re.compile(r"^\s*(?:填报|报送|填表)单位(?:名称)?\s*[:：]?\s*(.*)$")
_REMARKS = re.compile(r"[(\[【]?\s*(?:加?盖|签)?(?:公章|章|盖章|签章)\s*[)\]】]?")
# Text that often follows the unit name in the same cell: 联系人：…, 填报日期：…
_TRAILER = re.compile(r"\s{2,}|(?:联系人|填报人|联系电话|电话|填报日期|日期)\s*[:：].*$")


def declared_names(grids: Iterable[Grid]) -> list[tuple[str, str, str]]:
    """(text, sheet, cell) of every 填报单位 declaration near the top of a sheet."""
    found = []
    for grid in grids:
        for r in range(min(grid.height, SEARCH_ROWS)):
            row = grid.rows[r]
            for c, value in enumerate(row):
                if not isinstance(value, str):
                    continue
                match = _UNIT_CELL.match(fold(value))
                if not match:
                    continue
                text = match.group(1).strip()
                if not text:  # the name sits in the next non-empty cell
                    text = next((str(v) for v in row[c + 1:] if v not in (None, "")), "")
                text = _TRAILER.sub("", _REMARKS.sub("", fold(text))).strip(" :：")
                if text:
                    found.append((text, grid.name, grid.address(r, c)))
                break
    return found


def identify(
    grids: list[Grid], folder: str | None, file_name: str, registry: Registry
) -> tuple[Department | None, list[FileIssue]]:
    declared = declared_names(grids)
    from_cells: list[Department] = []
    for text, _sheet, _cell in declared:
        department = registry.match(text) or _single(registry.find_in(text))
        if department and department not in from_cells:
            from_cells.append(department)
    if len(from_cells) > 1:
        names = "、".join(d.name for d in from_cells)
        return None, [FileIssue("error", "department_conflict",
                                f"表中“填报单位”写了多个单位（{names}），无法确定报送单位；"
                                "请一个单位报送一个文件。", declared[0][1], declared[0][2])]
    from_folder = _single(registry.find_in(folder)) if folder else None
    issues: list[FileIssue] = []
    if from_cells:
        department = from_cells[0]
        if from_folder and from_folder != department:
            issues.append(FileIssue(
                "warning", "department_folder_mismatch",
                f"文件放在“{folder}”文件夹中（从邮箱收到的文件按发件单位存放），但表内填报单位"
                f"是“{department.name}”，已按填报单位处理；如发错了文件，请重新报送。"))
        return department, issues
    if from_folder:
        return from_folder, issues
    in_name = registry.find_in(file_name)
    if len(in_name) == 1:
        return in_name[0], issues
    if len(in_name) > 1:
        names = "、".join(d.name for d in in_name)
        return None, [FileIssue("error", "department_conflict",
                                f"文件名中出现多个单位（{names}），表内也没有“填报单位”，"
                                "无法确定报送单位；请在表中填写“填报单位：单位名称”。")]
    unknown = declared[0][0] if declared else ""
    reason = f"表内填报单位“{unknown}”不在单位名录中" if unknown else "表内没有“填报单位”"
    return None, [FileIssue("error", "department_unknown",
                            f"无法确定报送单位：{reason}，文件名和文件夹也无法识别；"
                            "请在表中填写“填报单位：单位名称”后重新提交。",
                            declared[0][1] if declared else "", declared[0][2] if declared else "",
                            raw_value=unknown)]


def _single(departments: list[Department]) -> Department | None:
    return departments[0] if len(departments) == 1 else None
