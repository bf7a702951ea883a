"""report.docx in the layout of a government document: 方正小标宋 title, 黑体 headings,
仿宋_GB2312 body (with 仿宋/宋体 named as fallbacks in the font table), A4 margins."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from report.figures import Figure, ResolvedBlock, describe_source
from schemas.describe import format_number
from warehouse.table import TableRow

FONTS = {"title": ("方正小标宋简体", "华文中宋"), "heading": ("黑体", "SimHei"),
         "body": ("仿宋_GB2312", "仿宋")}
SIZES = {"title": Pt(22), "heading": Pt(16), "body": Pt(16)}


def _font(run: Run, role: str) -> None:
    name = FONTS[role][0]
    run.font.name = "Times New Roman"
    run.font.size = SIZES[role]
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _fallback_fonts(document: DocxDocument) -> None:
    """Name each Chinese font's fallback in the font table (w:altName), so a machine
    without 方正小标宋/仿宋_GB2312 shows 华文中宋/仿宋 rather than any face."""
    part = next(p for p in document.part.package.iter_parts()
                if str(p.partname).endswith("/fontTable.xml"))
    root = etree.fromstring(part.blob)
    for name, alternative in FONTS.values():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = etree.SubElement(font, qn("w:altName"))
        alt.set(qn("w:val"), alternative)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _paragraph(document: DocxDocument, parts: list[str | Figure], role: str,
               alignment: WD_ALIGN_PARAGRAPH | None = None) -> Paragraph:
    paragraph = document.add_paragraph()
    format_ = paragraph.paragraph_format
    format_.line_spacing = Pt(28)
    format_.space_after = Pt(0)
    if alignment is not None:
        paragraph.alignment = alignment
    if role == "body":
        format_.first_line_indent = Pt(32)
    for part in parts:
        if isinstance(part, str):
            _font(paragraph.add_run(part), role)
            continue
        # Only the gap marker is highlighted; the draft's unit words around it are text.
        before, marker, after = part.text.partition(part.marker) if part.gap \
            else (part.text, "", "")
        for text, highlighted in ((before, False), (marker, True), (after, False)):
            if not text:
                continue
            run = paragraph.add_run(text)
            _font(run, role)
            if highlighted:
                run.font.highlight_color = 7  # yellow
                run.font.color.rgb = RGBColor(0xC0, 0, 0)
        mark = paragraph.add_run(f"[{part.number}]")
        _font(mark, role)
        mark.font.superscript = True
    return paragraph


def write_docx(path: Path, blocks: list[ResolvedBlock], figures: list[Figure],
               table: list[TableRow], years: tuple[int, ...],
               charts: list[tuple[int, Path]], from_draft: list[str]) -> Path:
    document = Document()
    _fallback_fonts(document)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    gaps = [f for f in figures if f.gap]
    for block in blocks:
        if block.kind == "title":
            _paragraph(document, block.parts, "title", WD_ALIGN_PARAGRAPH.CENTER)
            if gaps:
                _paragraph(document, [f"待补数据 {len(gaps)} 项：" + "；".join(
                    f.marker.strip("【】") for f in gaps)], "body")
        elif block.kind == "heading":
            _paragraph(document, block.parts, "heading")
        else:
            _paragraph(document, block.parts, "body")
    document.add_page_break()
    _paragraph(document, ["附件一　数据来源"], "heading")
    for figure in figures:
        _paragraph(document, [f"[{figure.number}] {describe_source(figure)}"], "body")
    _paragraph(document, ["附件二　待核实"], "heading")
    verify = [f for f in figures if f.to_verify]
    for figure in verify or []:
        _paragraph(document, [f"[{figure.number}] {figure.indicator.name}："
                              + "；".join(figure.to_verify)], "body")
    if not verify:
        _paragraph(document, ["无。"], "body")
    for line in from_draft:
        _paragraph(document, [line], "body")
    _paragraph(document, ["附件三　各项指标五年数据"], "heading")
    _data_table(document, table, years)
    if charts:
        _paragraph(document, ["附件四　五年趋势图"], "heading")
        for _section, png in charts:
            document.add_picture(str(png), width=Cm(15.5))
    document.core_properties.title = blocks[0].text if blocks else ""
    document.save(path)
    return path


def _data_table(document: DocxDocument, table: list[TableRow],
                years: tuple[int, ...]) -> None:
    by_indicator: dict[str, dict[int, TableRow]] = {}
    for row in table:
        by_indicator.setdefault(row.indicator_code, {})[row.year] = row
    grid = document.add_table(rows=1, cols=2 + len(years))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, ["指标", "单位", *(f"{y}年" for y in years)],
                          strict=True):
        cell.text = text
    for cells in by_indicator.values():
        first = next(iter(cells.values()))
        values = [format_number(cells[y].value) if cells[y].value is not None else "—"
                  for y in years]
        for cell, text in zip(grid.add_row().cells, [first.indicator_name, first.unit, *values],
                              strict=True):
            cell.text = text
