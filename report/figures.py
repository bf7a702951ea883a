"""Every binding of the template resolved against the consolidated table: the words to
print, and where each contributing value came from."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from config.clock import local_now
from report.template import Binding, Block, load_template
from report.wording import around, word
from schemas.catalogue import Catalogue, Indicator
from schemas.departments import Registry
from schemas.describe import AGGREGATION_ZH, format_number
from schemas.messages import split_message, without_place
from schemas.office_files import office_file
from schemas.round import RoundParameters, get_round
from warehouse.decisions import CONFIRMED_PREFIX
from warehouse.models import Issue
from warehouse.table import TableRow

USABLE = {"ok", "warning", "pending", "entered"}
SENTENCE_ENDS = "。；"
VERIFY_ZH = {"warning": "数值已采用但有提醒", "pending": "最新报送未通过校验，沿用上一版数值"}


@dataclass(frozen=True, slots=True)
class Source:
    year: int
    value: float | None  # reporting unit
    status: str
    file: str
    cell: str
    explanation: str


@dataclass(slots=True)
class Figure:
    number: int
    indicator: Indicator
    department: str
    text: str  # what the report prints, with the draft's unit words
    missing_years: list[int]
    sources: list[Source]
    to_verify: list[str] = field(default_factory=list)
    value: float | None = None  # in the reporting unit, before wording
    aggregation_zh: str = ""  # 五年合计 / 取最近一年 / 2023年
    marker: str = ""  # 【待补：…】 where a value is missing and the draft had none
    # 【待核：…】 after the figure when it rests on a value with an open warning or a
    # newer submission that failed validation; its reasons are in 附件二.
    check: str = ""
    # Which years, said after the figure where its sentence mixes a five-year sum with a
    # single year's figure (落实24项（2025年）…受益学生18万人次（2021—2025年累计）).
    qualifier: str = ""

    @property
    def gap(self) -> bool:
        return bool(self.marker)


NOTICE = logging.getLogger("huizong.notice")


class UnboundPlaceholder(Exception):
    """报告模板中的占位符没有对应的指标或参数，请检查 report/template.md。"""


class NonAdditiveSum(Exception):
    """报告模板把各年不能相加的指标写成了五年合计（agg=sum），请检查 report/template.md。"""


@dataclass(slots=True)
class Warnings:
    """The reasons of the open warnings on accepted values, found by indicator and year
    or by the cell they involve (a relation warns on both of its cells)."""

    by_value: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    by_cell: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def reasons(self, code: str, source: Source) -> list[str]:
        return (self.by_value.get((code, source.year))
                or self.by_cell.get((source.file, source.cell), []))


class Resolver:
    def __init__(self, table: list[TableRow], catalogue: Catalogue, registry: Registry,
                 parameters: RoundParameters, warnings: Warnings | None = None) -> None:
        self.catalogue, self.registry, self.parameters = catalogue, registry, parameters
        self.years = parameters.round.years
        self.rows = {(r.indicator_code, r.year): r for r in table}
        self.warnings = warnings or Warnings()
        self.figures: list[Figure] = []
        self._from_settings: dict[str, str] = {}
        # Bindings to indicators the catalogue no longer has: gaps, and a word for the office.
        self.unbound: list[str] = []

    def parameter(self, name: str) -> str:
        fields = {"city": self.parameters.city, "province": self.parameters.province,
                  "city_short": self.parameters.city_short,
                  "province_short": self.parameters.province_short}
        value = fields.get(name, self.parameters.report.get(name))
        if value is None:
            raise UnboundPlaceholder(f"{UnboundPlaceholder.__doc__}（param:{name}）")
        if name in self.parameters.report:
            self._from_settings.setdefault(name, str(value))
        return str(value)

    def from_settings_zh(self) -> list[str]:
        """The names, editions and dates the report took from the round's settings (the
        draft has XX there), for 待核实."""
        labels = self.parameters.report_labels
        return [f"{labels[name]}：{value}（据本轮设置，未与报送数据核对）"
                for name, value in self._from_settings.items()]

    def resolve(self, binding: Binding) -> str | Figure:
        if binding.kind == "param":
            return self.parameter(binding.key)
        if not self.catalogue.has(binding.key):
            return self._unbound(binding.key)
        if binding.kind == "year":
            return str(self.years[-1])
        return self._figure(binding)

    def _unbound(self, code: str) -> str:
        """A binding to an indicator that left the catalogue (or never was in it) is a
        gap in the report and a line for the office, never a failed run."""
        retired = self.catalogue.retired_match(code)
        why = "指标已停用" if retired is not None else "指标不在目录中"
        name = retired.name if retired is not None else code
        gap = f"待补：{why}·{name}"
        if gap not in self.unbound:
            self.unbound.append(gap)
            NOTICE.warning("报告模板（%s）引用的指标「%s」（%s）%s，报告中标为【%s】；"
                           "请修改报告模板中的这句话。", office_file("template.md"), name, code,
                           "已从指标目录中停用" if retired is not None else "不在指标目录中",
                           gap)
        return f"【{gap}】"

    def _indicator(self, code: str) -> Indicator:
        try:
            return self.catalogue.indicator(code)
        except KeyError:
            raise UnboundPlaceholder(f"{UnboundPlaceholder.__doc__}（{code}）") from None

    def _years(self, binding: Binding) -> tuple[tuple[int, ...], str]:
        """The years a sentence means, and how the appendix says so."""
        kind, _, detail = binding.aggregation.partition(":")
        if kind in AGGREGATION_ZH:
            return (self.years if kind == "sum" else self.years[-1:]), AGGREGATION_ZH[kind]
        year = int(self.parameter(detail) if kind == "param" else detail)
        if year not in self.years:
            raise UnboundPlaceholder(f"{UnboundPlaceholder.__doc__}（{binding.key} 的 "
                                     f"{binding.aggregation} 不在本轮年度内）")
        return (year,), f"{year}年"

    def _verify_line(self, indicator: Indicator, source: Source) -> str:
        """附件二's line for a year the figure rests on with doubt: every warning's reason
        in full, or the department's own explanation."""
        reasons = self.warnings.reasons(indicator.code, source)
        line = f"{source.year}年：{VERIFY_ZH[source.status]}"
        if reasons:
            line += "，提醒内容：" + "；".join(reasons)
        elif source.explanation.startswith(CONFIRMED_PREFIX):
            line = f"{source.year}年：数值已采用（{source.explanation}）"
        elif source.explanation:
            line += f"（单位已说明：{source.explanation}）"
        return line

    def _figure(self, binding: Binding) -> Figure:
        indicator = self._indicator(binding.key)
        needed, aggregation_zh = self._years(binding)
        sources, missing, total = [], [], 0.0
        for year in needed:
            row = self.rows[(indicator.code, year)]
            sources.append(Source(year, row.value, row.status, row.source_file, row.source_cell,
                                  row.explanation))
            if row.status == "not_applicable":
                continue
            if row.status not in USABLE or row.value is None:
                missing.append(year)
                continue
            total += row.value
        department = self.registry.get(indicator.department).name
        value = None if missing else round(total, 6)
        data_text = (word(value * self.catalogue.factor(indicator), binding.style)
                     if value is not None else "")
        to_verify = [self._verify_line(indicator, s) for s in sources if s.status in VERIFY_ZH]
        to_verify += [f"{s.year}年：{s.explanation}" for s in sources if s.status == "refused"]
        flagged = [s.year for s in sources if s.status == "pending" or (
            s.status == "warning" and self.warnings.reasons(indicator.code, s))]
        check = (f"【待核：{'、'.join(map(str, flagged))}年数值有提醒，见附件二】"
                 if flagged and value is not None else "")
        marker = ""
        if binding.as_drafted:
            # The office's own words stand; the data only get a say in 待核实.
            text = around(binding.as_drafted, binding.style)
            if value is None:
                to_verify.insert(0, f"原稿写“{text}”，汇总数据暂缺")
            elif data_text != text:
                to_verify.insert(0, f"原稿写“{text}”，汇总数据为“{data_text}”")
        elif value is None:
            years = "、".join(str(y) for y in missing)
            marker = f"【待补：{department}·{years}年·{indicator.name}】"
            text = around(marker, binding.style)
        else:
            text = data_text
        figure = Figure(len(self.figures) + 1, indicator, department, text, missing, sources,
                        to_verify, value, aggregation_zh, marker, check)
        self.figures.append(figure)
        return figure


@dataclass(slots=True)
class ResolvedBlock:
    kind: str  # title / heading / paragraph
    parts: list[str | Figure]

    @property
    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


def resolve_blocks(blocks: list[Block], resolver: Resolver) -> list[ResolvedBlock]:
    """Each block with its bindings replaced by text or figures, in reading order."""
    check_sums(blocks, resolver.catalogue)
    resolved = [ResolvedBlock(block.kind, [resolver.resolve(p) if isinstance(p, Binding)
                                           else p for p in block.parts]) for block in blocks]
    for block in resolved:
        _qualify_mixed_sentences(block, resolver.years)
    return resolved


def _qualify_mixed_sentences(block: ResolvedBlock, years: tuple[int, ...]) -> None:
    """A sentence whose figures mean different years says, after each, which."""
    sentence: list[Figure] = []
    for part in [*block.parts, "。"]:
        if isinstance(part, Figure):
            sentence.append(part)
            continue
        if not any(mark in part for mark in SENTENCE_ENDS):
            continue
        if len({f.aggregation_zh for f in sentence}) > 1:
            for figure in (f for f in sentence if not f.gap):  # a gap names its years
                figure.qualifier = (f"（{years[0]}—{years[-1]}年累计）"
                                    if figure.aggregation_zh == AGGREGATION_ZH["sum"] else
                                    f"（{figure.sources[-1].year}年）")
        sentence = []


def template_problems(catalogue: Catalogue) -> list[str]:
    """The report template's bindings to indicators the catalogue does not have, one
    Chinese line each (`huizong init` says them; a run prints them as 【待补】 gaps)."""
    lines = []
    for block in load_template():
        for position, part in enumerate(block.parts):
            if isinstance(part, Binding) and part.kind != "param" \
                    and not catalogue.has(part.key):
                retired = catalogue.retired_match(part.key)
                what = (f"已停用的指标「{retired.name}」" if retired is not None
                        else "目录中没有的指标")
                lines.append(f"{office_file('template.md')}：“{_sentence(block, position)}”引用了"
                             f"{what}（{part.key}），报告中将标为【待补】，请修改这句话。")
    return lines


def check_sums(blocks: list[Block], catalogue: Catalogue) -> None:
    """A five-year sum of a stock, a roster or the same households counted every year
    would print as distinct (受惠家庭398户 for 70+76+80+84+88): refused, naming the
    sentence, before anything is written."""
    for block in blocks:
        for position, part in enumerate(block.parts):
            if not (isinstance(part, Binding) and part.kind == "figure"
                    and part.aggregation == "sum"):
                continue
            if not catalogue.has(part.key):
                continue
            indicator = catalogue.indicator(part.key)
            if not indicator.additive:
                raise NonAdditiveSum(
                    f"{NonAdditiveSum.__doc__}（“{_sentence(block, position)}”：「"
                    f"{indicator.name}」各年不能相加，请改为 agg=latest 或 agg=year:年份）")


def _sentence(block: Block, position: int) -> str:
    """The clause of `block` around its part at `position`, the figure written XX."""
    marker = "\0"
    text = "".join(marker if n == position else ("XX" if isinstance(p, Binding) else p)
                   for n, p in enumerate(block.parts))
    clauses = re.split(f"(?<=[{SENTENCE_ENDS}])", text)
    found = next(c for c in clauses if marker in c)
    return found.replace(marker, "XX").strip()


def figures_by_indicator(table: list[TableRow], catalogue: Catalogue, registry: Registry,
                         parameters: RoundParameters, warnings: Warnings | None = None
                         ) -> dict[str, Figure]:
    """What the report says of each bound indicator: the one aggregation of its figure,
    for the table's 五年报告取值 and 报告用法, and its gaps and doubts for the office."""
    resolver = Resolver(table, catalogue, registry, parameters, warnings)
    resolve_blocks(load_template(), resolver)
    return {figure.indicator.code: figure for figure in resolver.figures}


def open_warnings(issues: Sequence[tuple[Issue, str]]) -> Warnings:
    """The reasons of the open warnings on values, from `open_issues` rows."""
    found = Warnings()
    for issue, file_name in issues:
        if issue.state == "open" and issue.severity == "warning" and issue.year and \
                issue.indicator_code and issue.rule != "missing_value":
            reason = split_message(without_place(issue.message_zh, issue.cells))[0]
            found.by_value.setdefault((issue.indicator_code, issue.year), []).append(reason)
            for place in issue.cells.split("、") if issue.cells else []:
                found.by_cell.setdefault((file_name, place), []).append(reason)
    return found


def signature_lines() -> list[str]:
    """落款: the office and today's date, local time, as a 公文 ends."""
    parameters = get_round()
    today = local_now().date()
    return [f"{parameters.city}青年工作联席会议办公室",
            f"{today.year}年{today.month}月{today.day}日"]


def describe_source(figure: Figure) -> str:
    aggregation = figure.aggregation_zh
    if figure.value is None:
        head = f"{figure.indicator.name}：暂缺（{aggregation}）"
    else:
        head = (f"{figure.indicator.name}：{format_number(figure.value)} {figure.indicator.unit}"
                f"（{aggregation}）")
    return f"{head}；{figure.department}；" + "；".join(map(_source_text, figure.sources))


def _source_text(source: Source) -> str:
    """One year of 附件一: the value and where it came from, or why there is none."""
    shown = format_number(source.value) if source.value is not None else "—"
    if source.status == "entered":
        return f"{source.year}年 {shown}，{source.file}"
    if source.status == "refused":
        return f"{source.year}年 —（{source.explanation}）"
    if source.status == "rejected":
        return f"{source.year}年 —（报送值未通过校验）"
    if source.file:
        return f"{source.year}年 {shown}（{source.file}，{source.cell}）"
    return f"{source.year}年 未报送"
