"""Read one submitted file into observations and file-level issues. Never raises for a
user's bad file: whatever is wrong with it becomes an issue with a Chinese message."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from config import Settings, get_settings
from schemas.catalogue import Catalogue, get_catalogue
from schemas.departments import Department, Registry, get_registry
from schemas.names import normalise_name
from schemas.observation import FileIssue, Observation, ParseStatus, ReadResult
from schemas.round import get_round
from transforms.container import inspect
from transforms.department import identify
from transforms.grid import Grid, UnreadableWorkbook, load_grids
from transforms.layout import find_layout
from transforms.rows import Reading, read_table


def read_file(
    path: Path,
    *,
    data: bytes | None = None,
    file_name: str | None = None,
    folder: str | None = None,
    catalogue: Catalogue | None = None,
    registry: Registry | None = None,
    settings: Settings | None = None,
    years: tuple[int, ...] | None = None,
) -> ReadResult:
    """`folder` is the inbox sub-folder the file was found in (optional layout
    `inbox/<department alias>/…`); `data` avoids a second read when the caller has the
    bytes already (it hashed them)."""
    catalogue = catalogue or get_catalogue()
    registry = registry or get_registry()
    settings = settings or get_settings()
    years = years or get_round().round.years
    data = path.read_bytes() if data is None else data
    file_name = file_name or path.name
    result = ReadResult(file_name, hashlib.sha256(data).hexdigest())

    container = inspect(data, file_name, settings)
    if isinstance(container, FileIssue):
        return _refused(result, container, folder, registry)
    result.file_format = container.file_format
    try:
        skip = {normalise_name(name) for name in settings.skip_sheets}
        grids = [g for g in load_grids(data, container) if normalise_name(g.name) not in skip]
    except UnreadableWorkbook as error:
        return _refused(result, _unreadable(str(error)), folder, registry)
    if not any(any(v is not None for v in row) for g in grids for row in g.rows):
        return _refused(result, FileIssue(
            "error", "workbook_empty", "工作簿是空的，没有找到任何数据；请填写后重新提交。"),
            folder, registry)

    readings = _read_tables([g for g in grids if g.visible], catalogue, years, result)
    if readings is not None:
        _note_hidden(grids, result)
    else:
        readings = _read_hidden(grids, catalogue, years, result)
    department, issues = identify(grids, folder, file_name, registry)
    if readings is None:
        # Still someone's file: the department hears that it held no table.
        result.department = department.code if department else None
        result.issues.append(FileIssue(
            "error", "no_table",
            "没有找到指标表格（需要有“指标名称”列和年度列，如“2021年”）；"
            "请使用下发的填报表填写后重新提交。"))
        return result
    result.issues.extend(issues)
    if department is None and not any(i.rule == "department_conflict" for i in issues):
        department = _infer_department(readings, registry, result)
    result.department = department.code if department else None
    _check_ownership_and_duplicates(readings, result)
    return result


def refused_result(file_name: str, sha256: str, folder: str | None, registry: Registry,
                   issue: FileIssue) -> ReadResult:
    """The result for a file that could not be read at all, for the given reason."""
    return _refused(ReadResult(file_name, sha256), issue, folder, registry)


def _refused(result: ReadResult, issue: FileIssue, folder: str | None,
             registry: Registry) -> ReadResult:
    """A file we cannot read still belongs to someone: the folder or file name may say
    who, so the department hears why. The one issue is the reason it was refused."""
    result.issues.append(issue)
    department, _ = identify([], folder, result.file_name, registry)
    result.department = department.code if department else None
    return result


def _unreadable(reason: str) -> FileIssue:
    if reason == "encrypted":
        return FileIssue("error", "file_encrypted", "文件已加密，请取消密码后重新提交。")
    return FileIssue("error", "file_corrupt",
                     "文件已损坏或格式异常，无法读取；请在 Excel/WPS 中重新保存为 .xlsx 后提交。")


def _read_tables(grids: list[Grid], catalogue: Catalogue, years: tuple[int, ...],
                 result: ReadResult) -> list[Reading] | None:
    """Readings of every sheet that holds an indicator table, or None when none does."""
    readings: list[Reading] = []
    found = False
    for grid in grids:
        layout = find_layout(grid, catalogue)
        if layout is None:
            grid = grid.transpose()
            layout = find_layout(grid, catalogue)
        if layout is None:
            continue
        found = True
        sheet_readings, sheet_issues = read_table(grid, layout, catalogue, years)
        readings.extend(sheet_readings)
        result.issues.extend(sheet_issues)
    return readings if found else None


def _hidden_names(grids: list[Grid]) -> str:
    return "、".join(f"“{g.name}”" for g in grids if not g.visible)


def _note_hidden(grids: list[Grid], result: ReadResult) -> None:
    """Hidden sheets (old versions, lookups) are not data when a visible sheet is."""
    if any(not g.visible for g in grids):
        result.issues.append(FileIssue(
            "info", "hidden_sheet_skipped",
            f"隐藏的工作表{_hidden_names(grids)}未读取，只采用可见工作表中的数据。"))


def _read_hidden(grids: list[Grid], catalogue: Catalogue, years: tuple[int, ...],
                 result: ReadResult) -> list[Reading] | None:
    """Only when no visible sheet holds indicators are hidden sheets read, and said so."""
    readings = _read_tables([g for g in grids if not g.visible], catalogue, years, result)
    if readings is None:
        return None
    result.issues.append(FileIssue(
        "warning", "hidden_sheet_read",
        f"可见的工作表中没有指标表格，数据取自隐藏的工作表{_hidden_names(grids)}；"
        "请确认这是本次要报送的数据，并取消隐藏后重新保存。"))
    return readings


def _infer_department(readings: list[Reading], registry: Registry,
                      result: ReadResult) -> Department | None:
    owners = Counter(r.indicator.department for r in readings)
    if len(owners) != 1:
        return None
    department = registry.get(next(iter(owners)))
    unknown = next(i for i in result.issues if i.rule == "department_unknown")
    result.issues.remove(unknown)
    reason = (f"表内填报单位“{unknown.raw_value}”不在单位名录中" if unknown.raw_value
              else "表内没有“填报单位”")
    result.issues.append(FileIssue(
        "warning", "department_inferred",
        f"{reason}，根据所填指标判断为“{department.name}”；请在表中填写“填报单位：单位名称”。",
        unknown.sheet, unknown.cell, raw_value=unknown.raw_value))
    return department


def _same_value(a: Reading, b: Reading) -> bool:
    """`1,200` and `1200` are the same figure; two different figures are not."""
    if a.value is not None or b.value is not None:
        return a.value == b.value and a.status == b.status
    return (a.status, a.raw_value) == (b.status, b.raw_value)


def _check_ownership_and_duplicates(readings: list[Reading], result: ReadResult) -> None:
    """One observation per indicator and year. A figure given twice the same way is noted;
    given twice differently, neither copy can be trusted: the kept observation carries an
    error citing both cells, so validation accepts neither."""
    seen: dict[tuple[str, int], Reading] = {}
    foreign: set[str] = set()
    for reading in readings:
        indicator = reading.indicator
        if result.department and indicator.department != result.department:
            if indicator.code not in foreign:
                foreign.add(indicator.code)
                result.issues.append(FileIssue(
                    "warning", "indicator_not_owned",
                    f"「{indicator.name}」不属于本单位的报送指标，该行数据未读取。",
                    reading.sheet, reading.cell, indicator.code))
            continue
        key = (indicator.code, reading.year)
        first = seen.get(key)
        if first is None or first.status == ParseStatus.BLANK:
            seen[key] = reading
        elif reading.status == ParseStatus.BLANK:
            continue
        elif _same_value(first, reading):
            result.issues.append(FileIssue(
                "info", "duplicate_identical",
                f"「{indicator.name}」{reading.year}年在 {first.sheet}!{first.cell} 和 "
                f"{reading.sheet}!{reading.cell} 各填了一次，数值相同，按一次计入。",
                reading.sheet, reading.cell, indicator.code, reading.year, reading.raw_value))
        else:
            both = (f"{first.sheet}!{first.cell}", f"{reading.sheet}!{reading.cell}")
            result.issues.append(FileIssue(
                "error", "duplicate_value",
                f"「{indicator.name}」{reading.year}年填报了两个不同的数值（{both[0]} 为"
                f"“{first.raw_value}”，{both[1]} 为“{reading.raw_value}”），两个都暂不采用；"
                "请删除重复的行，只保留正确的数值后重新报送。",
                first.sheet, first.cell, indicator.code, reading.year, first.raw_value,
                cells=both))
    result.observations = [
        Observation(result.department, r.indicator.code, r.year, r.value, r.raw_value, r.status,
                    r.note, result.file_sha256, r.sheet, r.cell)
        for r in seen.values()
    ]
