"""report.md: the draft as Markdown, with references to the 数据来源 appendix."""

from __future__ import annotations

from pathlib import Path

from report.charts import chart_caption
from report.figures import Figure, ResolvedBlock, describe_source, signature_lines
from report.inline import WORD_JOINER, pieces
from schemas.describe import format_number
from warehouse.table import TableRow


def _inline(block: ResolvedBlock) -> str:
    return "".join(f"<sup>{piece.text.strip(WORD_JOINER)}</sup>" if piece.role == "ref"
                   else piece.text.strip(WORD_JOINER) for piece in pieces(block.parts))


def write_markdown(path: Path, blocks: list[ResolvedBlock], figures: list[Figure],
                   table: list[TableRow], years: tuple[int, ...],
                   charts: list[tuple[str, Path]], from_settings: list[str]) -> Path:
    lines: list[str] = []
    gaps = [f for f in figures if f.gap]
    for block in blocks:
        if block.kind == "title":
            lines += [f"# {block.text}", ""]
            if gaps:
                lines += [f"> **待补数据 {len(gaps)} 项**（正文中以【待补：…】标出）：", ">"]
                lines += [f"> - {f.marker.strip('【】')}" for f in gaps]
                lines.append("")
        elif block.kind == "heading":
            lines += [f"## {block.text}", ""]
        else:
            lines += [_inline(block), ""]
    lines += [f"<p align=\"right\">{line}</p>" for line in signature_lines()] + [""]
    lines += ["## 附件一　数据来源", ""]
    lines += [f"{f.number}. {describe_source(f)}" for f in figures]
    verify = [f for f in figures if f.to_verify]
    lines += ["", "## 附件二　待核实", ""]
    lines += [f"- [{f.number}] {f.indicator.name}：" + "；".join(f.to_verify) for f in verify] \
        or ["无。"]
    lines += [f"- {line}" for line in from_settings]
    lines += ["", "## 附件三　各项指标五年数据", "",
              "| 指标 | 单位 | " + " | ".join(f"{y}年" for y in years) + " |",
              "|---|---|" + "---|" * len(years)]
    by_indicator: dict[str, dict[int, TableRow]] = {}
    for row in table:
        by_indicator.setdefault(row.indicator_code, {})[row.year] = row
    for cells in by_indicator.values():
        first = next(iter(cells.values()))
        shown = [format_number(cells[y].value) if cells[y].value is not None else "—"
                 for y in years]
        lines.append(f"| {first.indicator_name} | {first.unit} | " + " | ".join(shown) + " |")
    if charts:
        lines += ["", "## 附件四　五年趋势图", ""]
        for number, (title, png) in enumerate(charts, start=1):
            lines += [f"![{chart_caption(number, title)}](charts/{png.name})", "",
                      chart_caption(number, title), ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
