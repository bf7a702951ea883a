"""Validate a batch of read submissions at once: a pure function of the observations and
the departments' previously accepted values. Every failure becomes an `Issue` pinned to
the workbook cell; every observation gets a verdict (accepted, flagged).

The whole batch goes through each pandera schema in one lazy call, so pandera's per-call
overhead is paid three times per run, not per file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from schemas.catalogue import Catalogue, PartsWithinTotal, Relation, get_catalogue
from schemas.issue import Issue
from schemas.messages import (
    jump_message,
    place_text,
    relation_message,
    slip_message,
    value_message,
)
from schemas.observation import Observation, ParseStatus, ReadResult
from schemas.round import get_round
from schemas.rules import CELL_FLAGS, RULE_SEVERITY, UNIT_SLIP_FACTOR, Schemas, get_schemas

# (department, indicator code, year) -> accepted base value, or None for 不适用.
PriorValues = Mapping[tuple[str, str, int], float | None]
ACCEPTABLE = {ParseStatus.NUMBER, ParseStatus.APPROXIMATE, ParseStatus.NOT_APPLICABLE}
NUMERIC = {ParseStatus.NUMBER.value, ParseStatus.APPROXIMATE.value}
# A conflict message names this many of the other files, then says how many there are.
CONFLICTS_NAMED = 3


@dataclass(frozen=True, slots=True)
class Assessment:
    observation: Observation
    accepted: bool  # may become (or replace) the accepted value
    flagged: bool  # accepted, but with an open or explained warning


@dataclass(slots=True)
class ValidationResult:
    issues: list[Issue]
    assessments: list[Assessment]

    def by_file(self) -> tuple[dict[str, list[Assessment]], dict[str, list[Issue]]]:
        """The assessments and the issues of each file (by sha256), as loading takes them."""
        assessments: dict[str, list[Assessment]] = {}
        for assessment in self.assessments:
            assessments.setdefault(assessment.observation.file_sha256, []).append(assessment)
        issues: dict[str, list[Issue]] = {}
        for issue in self.issues:
            issues.setdefault(issue.file_sha256, []).append(issue)
        return assessments, issues


def validate(
    submissions: Sequence[ReadResult],
    prior: PriorValues | None = None,
    *,
    catalogue: Catalogue | None = None,
    schemas: Schemas | None = None,
    years: tuple[int, ...] | None = None,
) -> ValidationResult:
    run = _Run(submissions, prior or {}, catalogue or get_catalogue(),
               schemas or get_schemas(), years or get_round().round.years)
    return run.result()


def _one_row_per_cell(issues: list[Issue]) -> list[Issue]:
    """A value refused by an error is not taken: a warning about that same value (a jump
    from a negative number, a rate of 135 % that does not match its counts) would only
    say it again."""
    refused = {(i.file_sha256, place) for i in issues if i.severity == "error" and i.year
               for place in i.cells}
    return [i for i in issues if i.severity == "error" or not i.year or not i.cell
            or (i.file_sha256, f"{i.sheet}!{i.cell}") not in refused]


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases, with `index` as the row's position in `frame`."""
    try:
        schema.validate(frame.reset_index(drop=True), lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
        return cases.assign(index=cases["index"].astype(int))
    return pd.DataFrame(columns=["schema_context", "column", "check", "index", "failure_case"])


def nanmedian_of_rows(values: np.ndarray) -> np.ndarray:
    """`np.nanmedian(values, axis=1)` of a (files, years, indicators) array, NaN where a
    row holds no number: sorted once instead of NumPy's masked path for short rows,
    which cost a second for 1,000 files."""
    if values.shape[1] == 0:  # a round of one year: no other years
        return np.full((values.shape[0], values.shape[2]), np.nan)
    ordered = np.sort(values, axis=1)  # NaN sorts last
    counts = np.sum(~np.isnan(values), axis=1)
    low = np.take_along_axis(ordered, np.maximum((counts - 1) // 2, 0)[:, None, :], axis=1)
    high = np.take_along_axis(ordered, (counts // 2)[:, None, :], axis=1)
    medians = (low[:, 0, :] + high[:, 0, :]) / 2
    medians[counts == 0] = np.nan
    return medians


class _Records:
    """The rows of a frame as plain records, made when asked for: messages look cells up
    one at a time, and a pandas lookup per cell costs more than the whole validation of a
    small file, while making every record of 1,000 files costs most of a second."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._columns = {name: frame[name].tolist() for name in frame.columns}
        self._made: dict[int, dict] = {}

    def __getitem__(self, row: int) -> dict:
        record = self._made.get(row)
        if record is None:
            record = self._made[row] = {name: values[row]
                                        for name, values in self._columns.items()}
        return record


class _Run:
    def __init__(self, submissions: Sequence[ReadResult], prior: PriorValues,
                 catalogue: Catalogue, schemas: Schemas, years: tuple[int, ...]) -> None:
        self.submissions, self.prior, self.catalogue = submissions, prior, catalogue
        self.schemas, self.years = schemas, years
        self.cells = self._cell_frame()
        self.rows = _Records(self.cells)
        self.issues: list[Issue] = []
        # (submission, code, year) -> row of `cells`, to pin a wide-frame failure to its cell.
        self.row_of = {
            (s, c, y): row for row, (s, c, y) in enumerate(zip(
                self.cells["sub"], self.cells["code"], self.cells["year"], strict=True))
        }

    # ── frames ──────────────────────────────────────────────────────────────
    def _cell_frame(self) -> pd.DataFrame:
        rows: list[tuple] = []
        for sub, result in enumerate(self.submissions):
            department = result.department
            present = set()
            for o in result.observations:
                present.add((o.indicator_code, o.year))
                rows.append((sub, department, o.indicator_code, o.year, o.value,
                             o.parse_status.value, o.raw_value, o.sheet, o.cell, o.note, True))
            if department is None or not result.observations:
                continue
            # Indicators the file left out entirely count as missing, unless accepted before.
            for indicator in self.catalogue.owned_by(department):
                for year in self.years:
                    if (indicator.code, year) not in present:
                        rows.append((sub, department, indicator.code, year, None,
                                     ParseStatus.BLANK.value, "", "", "", "", False))
        frame = pd.DataFrame(rows, columns=["sub", "department", "code", "year", "value", "status",
                                            "raw", "sheet", "cell", "note", "observed"])
        frame["value"] = frame["value"].astype(float)
        has_prior = [(d, c, y) in self.prior for d, c, y in
                     zip(frame["department"], frame["code"], frame["year"], strict=True)]
        # A cell the reader already reported as an error (an uncalculated formula) gets
        # one message, not two.
        reported = {(sub, note.sheet, note.cell) for sub, result in enumerate(self.submissions)
                    for note in result.issues if note.severity == "error" and note.cell}
        already = [(s, sh, c) in reported for s, sh, c in
                   zip(frame["sub"], frame["sheet"], frame["cell"], strict=True)]
        frame["unparsed"] = (frame["status"] == ParseStatus.UNPARSED.value) & \
            ~np.array(already, dtype=bool)
        frame["approximate"] = frame["status"] == ParseStatus.APPROXIMATE.value
        # A department's submission is the set of its files: what one file of the batch
        # gives, another of the same department does not leave missing.
        given = {(d, c, y) for d, c, y, status in zip(
            frame["department"], frame["code"], frame["year"], frame["status"], strict=True)
            if status != ParseStatus.BLANK.value}
        given_elsewhere = [(d, c, y) in given for d, c, y in
                           zip(frame["department"], frame["code"], frame["year"], strict=True)]
        frame["missing_value"] = (frame["status"] == ParseStatus.BLANK.value) & \
            frame["department"].notna() & ~np.array(has_prior, dtype=bool) & \
            ~np.array(given_elsewhere, dtype=bool)
        return frame

    def _value_frame(self) -> pd.DataFrame:
        numeric = self.cells[self.cells["status"].isin(NUMERIC)]
        wide = numeric.set_index(["sub", "year", "code"])["value"].unstack("code")
        codes = [i.code for i in self.catalogue.indicators]
        return wide.reindex(columns=codes).astype(float)

    def _prior_frame(self, wide: pd.DataFrame, years_back: int) -> pd.DataFrame:
        """The accepted values of each row's department, `years_back` years earlier."""
        departments = [self.submissions[s].department for s in wide.index.get_level_values("sub")]
        years = wide.index.get_level_values("year")
        prior = np.full(wide.shape, np.nan)
        column_of = {code: n for n, code in enumerate(wide.columns)}
        rows_of: dict[tuple[str | None, int], list[int]] = {}
        for row, (department, year) in enumerate(zip(departments, years, strict=True)):
            rows_of.setdefault((department, year - years_back), []).append(row)
        for (department, code, year), value in self.prior.items():
            if value is None or code not in column_of:
                continue
            for row in rows_of.get((department, year), ()):
                prior[row, column_of[code]] = value
        return pd.DataFrame(prior, index=wide.index, columns=wide.columns)

    def _previous_frame(self, wide: pd.DataFrame) -> pd.DataFrame:
        """Each row's previous year: from the same file if it has it, else accepted before."""
        same_file = wide.copy()
        same_file.index = pd.MultiIndex.from_arrays(
            [wide.index.get_level_values("sub"), wide.index.get_level_values("year") + 1],
            names=["sub", "year"])
        return same_file.reindex(wide.index).fillna(self._prior_frame(wide, 1))

    def _neighbour_frame(self, wide: pd.DataFrame) -> pd.DataFrame:
        """For each value, the median of the same indicator's other years of the round:
        this file's values laid over the department's accepted ones."""
        subs = sorted(set(wide.index.get_level_values("sub")))
        at_sub = {sub: n for n, sub in enumerate(subs)}
        at_year = {year: n for n, year in enumerate(self.years)}
        at_code = {code: n for n, code in enumerate(wide.columns)}
        series = np.full((len(subs), len(self.years), len(wide.columns)), np.nan)
        subs_of: dict[str | None, list[int]] = {}
        for sub in subs:
            subs_of.setdefault(self.submissions[sub].department, []).append(at_sub[sub])
        for (department, code, year), value in self.prior.items():
            if value is None or code not in at_code or year not in at_year:
                continue
            for n in subs_of.get(department, ()):
                series[n, at_year[year], at_code[code]] = value
        subs_at = np.array([at_sub[sub] for sub, _ in wide.index], dtype=int)
        years_at = np.array([at_year.get(year, -1) for _, year in wide.index], dtype=int)
        known = years_at >= 0
        values = wide.to_numpy()[known]
        laid = series[subs_at[known], years_at[known]]
        series[subs_at[known], years_at[known]] = np.where(np.isnan(values), laid, values)
        series[series <= 0] = np.nan
        medians = np.full(series.shape, np.nan)
        for y in range(len(self.years)):
            medians[:, y, :] = nanmedian_of_rows(np.delete(series, y, axis=1))
        neighbour = np.full(wide.shape, np.nan)
        neighbour[known] = medians[subs_at[known], years_at[known]]
        return pd.DataFrame(neighbour, index=wide.index, columns=wide.columns)

    # ── failures -> issues ──────────────────────────────────────────────────
    def result(self) -> ValidationResult:
        self._pass_through_reader_issues()
        self._conflicts_between_files()
        self._cell_issues()
        if (self.cells["status"].isin(NUMERIC)).any():
            wide = self._value_frame()
            self._value_issues(wide)
            self._relation_issues(wide)
            slipped = self._slip_issues(wide)
            self._jump_issues(wide.mask(slipped | (wide < 0)))
        self.issues = _one_row_per_cell(self.issues)
        return ValidationResult(self.issues, self._assessments())

    def _issue(self, row: int, rule: str, message: str, *, severity: str | None = None,
               cells: Iterable[int] = ()) -> Issue:
        cell = self.rows[row]
        submission = self.submissions[cell["sub"]]
        involved = [self.rows[r] for r in (cells or [row])]
        notes = [c["note"] for c in involved if c["note"]]
        return Issue(
            department=submission.department, file=submission.file_name,
            file_sha256=submission.file_sha256, sheet=cell["sheet"], cell=cell["cell"],
            indicator_code=cell["code"], year=int(cell["year"]), raw_value=cell["raw"],
            rule=rule, severity=severity or RULE_SEVERITY[rule], message_zh=message,
            cells=tuple(f"{c['sheet']}!{c['cell']}" for c in involved if c["cell"]),
            explanation=notes[0] if notes else "",
        )

    def _place(self, rows: Iterable[int]) -> str:
        return place_text([f"{self.rows[r]['sheet']}!{self.rows[r]['cell']}"
                           for r in rows if self.rows[r]["cell"]])

    def _pass_through_reader_issues(self) -> None:
        for submission in self.submissions:
            for note in submission.issues:
                self.issues.append(Issue(
                    department=submission.department, file=submission.file_name,
                    file_sha256=submission.file_sha256, sheet=note.sheet, cell=note.cell,
                    indicator_code=note.indicator_code, year=note.year,
                    raw_value=note.raw_value, rule=note.rule, severity=note.severity,
                    message_zh=place_text([f"{note.sheet}!{note.cell}"] if note.cell else [])
                    + note.message_zh,
                    cells=note.places))

    def _conflicts_between_files(self) -> None:
        """Two files of one department in one batch giving one indicator and year different
        figures: neither can be trusted, so each cell gets an error naming the others."""
        cells = self.cells
        given = cells[cells["observed"] & cells["department"].notna()
                      & (cells["status"] != ParseStatus.BLANK.value)]
        figure = given["status"] + "|" + given["value"].astype(str).where(
            given["value"].notna(), given["raw"])
        keys = [given["department"], given["code"], given["year"]]
        files = given.groupby(keys)["sub"].transform("nunique")
        figures = figure.groupby(keys).transform("nunique")
        groups: dict[tuple, list[int]] = {}
        for row in given.index[(files >= 2) & (figures >= 2)]:
            cell = self.rows[row]
            groups.setdefault((cell["department"], cell["code"], cell["year"]), []).append(row)
        for rows in groups.values():
            for row in rows:
                self.issues.append(self._issue(row, "conflicting_files",
                                               self._conflict_message(row, rows),
                                               severity="error"))

    def _conflict_message(self, row: int, rows: list[int]) -> str:
        others = [r for r in rows if r != row]
        named = "；".join(
            f"《{self.submissions[self.rows[r]['sub']].file_name}》"
            f"{self.rows[r]['sheet']}!{self.rows[r]['cell']} 为“{self.rows[r]['raw']}”"
            for r in others[:CONFLICTS_NAMED])
        cell = self.rows[row]
        indicator = self.catalogue.indicator(cell["code"])
        head = (f"{self._place([row])}「{indicator.name}」{int(cell['year'])}年填报"
                f"“{cell['raw']}”，")
        if len(others) == 1:
            return head + (f"同一单位同时报送的另一个文件填的不同（{named}），"
                           "两个都暂不采用；请只保留一个文件，改正后重新报送。")
        more = f"等 {len(others)} 个文件" if len(others) > CONFLICTS_NAMED else ""
        return head + (f"同一单位同时报送的其他文件填的不同（{named}{more}），"
                       "这些文件的该项都暂不采用；请只保留一个文件，改正后重新报送。")

    def _cell_issues(self) -> None:
        failures = _failures(self.schemas.cells, self.cells[list(CELL_FLAGS)])
        for rule, row in zip(failures["check"], failures["index"], strict=True):
            cell = self.rows[row]
            indicator = self.catalogue.indicator(cell["code"])
            value = cell["value"] if pd.notna(cell["value"]) else None
            message = value_message(rule, indicator, self.catalogue, place=self._place([row]),
                                    year=int(cell["year"]), raw=cell["raw"], value=value)
            self.issues.append(self._issue(row, rule, message))

    def _value_issues(self, wide: pd.DataFrame) -> None:
        failures = _failures(self.schemas.values, wide)
        column_failures = failures[failures["schema_context"] == "Column"]
        for code, rule, position in zip(column_failures["column"], column_failures["check"],
                                        column_failures["index"], strict=True):
            index = wide.index[position]
            sub, year = index
            row = self.row_of[(sub, code, year)]
            indicator = self.catalogue.indicator(code)
            checks = indicator.checks
            bound = checks.maximum if rule == "above_maximum" else checks.minimum
            message = value_message(rule, indicator, self.catalogue, place=self._place([row]),
                                    year=year, raw=self.rows[row]["raw"],
                                    value=wide.at[index, code], bound=bound)
            self.issues.append(self._issue(row, rule, message))

    def _relation_issues(self, wide: pd.DataFrame) -> None:
        overlay = wide.fillna(self._prior_frame(wide, 0))
        failures = _failures(self.schemas.relations, overlay)
        failed = sorted({(rule, overlay.index[position]) for rule, position in
                         zip(failures["check"], failures["index"], strict=True)})
        relations = {r.id: r for r in self.catalogue.relations}
        for rule, (sub, year) in failed:
            relation = relations[rule]
            if self._implied_by_narrower(relation, {(r, i) for r, i in failed}, (sub, year)):
                continue
            # Cite the cells this file submitted; the rest are values accepted before.
            rows = [self.row_of[(sub, code, year)] for code in relation.codes
                    if pd.notna(wide.at[(sub, year), code])]
            if not rows:
                continue
            values = {code: overlay.at[(sub, year), code] for code in relation.codes}
            message = relation_message(relation, self.catalogue, place=self._place(rows),
                                       year=year, values=values)
            self.issues.append(self._issue(rows[0], rule, message, severity=relation.severity,
                                           cells=rows))

    def _implied_by_narrower(self, relation: Relation, failed: set[tuple[str, tuple]],
                             index: tuple) -> bool:
        """`A+B ≤ T` adds nothing when `A ≤ T` already failed for the same year."""
        if not isinstance(relation, PartsWithinTotal):
            return False
        return any(
            isinstance(other, PartsWithinTotal) and other.total == relation.total
            and set(other.parts) < set(relation.parts) and (other.id, index) in failed
            for other in self.catalogue.relations
        )

    def _slip_issues(self, wide: pd.DataFrame) -> pd.DataFrame:
        """Values about 10,000× (or 1/10,000 of) their other years: a unit slip. Returns
        where they are, so the year next to a slip is not itself called a jump."""
        neighbours = self._neighbour_frame(wide)
        codes = [c for c in self.schemas.slips.columns if c in wide.columns]
        ratios = (wide[codes] / neighbours[codes]).reindex(columns=wide.columns)
        failures = _failures(self.schemas.slips, ratios[codes])
        slipped = pd.DataFrame(False, index=wide.index, columns=wide.columns)
        for code, position in zip(failures["column"], failures["index"], strict=True):
            index = wide.index[position]
            sub, year = index
            slipped.at[index, code] = True
            row = self.row_of[(sub, code, year)]
            ratio = ratios.at[index, code]
            factor = UNIT_SLIP_FACTOR if ratio > 1 else 1 / UNIT_SLIP_FACTOR
            message = slip_message(self.catalogue.indicator(code), self.catalogue,
                                   place=self._place([row]), year=year,
                                   value=wide.at[index, code],
                                   neighbours=neighbours.at[index, code], factor=factor)
            self.issues.append(self._issue(row, "unit_slip", message))
        return slipped

    def _jump_issues(self, wide: pd.DataFrame) -> None:
        previous = self._previous_frame(wide)
        ratios = wide / previous.where(previous > 0)
        failures = _failures(self.schemas.jumps, ratios)
        for code, position in zip(failures["column"], failures["index"], strict=True):
            index = wide.index[position]
            sub, year = index
            row = self.row_of[(sub, code, year)]
            message = jump_message(self.catalogue.indicator(code), self.catalogue,
                                   place=self._place([row]), year=year,
                                   value=wide.at[index, code], previous=previous.at[index, code])
            self.issues.append(self._issue(row, "yoy_jump", message))

    # ── verdicts ────────────────────────────────────────────────────────────
    def _assessments(self) -> list[Assessment]:
        by_cell: dict[tuple[str, str, int], set[str]] = {}
        for issue in self.issues:
            if issue.year is None:
                continue
            for place in issue.cells:
                by_cell.setdefault((issue.file_sha256, place, issue.year), set()).add(
                    issue.severity)
        assessments = []
        for submission in self.submissions:
            for o in submission.observations:
                severities = by_cell.get((o.file_sha256, f"{o.sheet}!{o.cell}", o.year), set())
                accepted = (submission.department is not None and o.parse_status in ACCEPTABLE
                            and "error" not in severities)
                assessments.append(Assessment(o, accepted, accepted and "warning" in severities))
        return assessments
