"""report.docx in the layout of a government document: 方正小标宋 title, 黑体 headings,
仿宋_GB2312 body (with 仿宋/宋体 named as fallbacks in the font table), A4 margins."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree
from openpyxl.utils import column_index_from_string

from report.charts import chart_caption
from report.figures import Figure, ResolvedBlock, signature_lines
from report.inline import pieces
from schemas.describe import format_number
from schemas.labels import CELL_STATUS_ZH
from schemas.round import get_round
from warehouse.models import utcnow
from warehouse.table import TableRow

TABLE_SIZE = Pt(10.5)  # 五号: tables in an appendix
# What an empty cell of the five-year table means, said instead of a bare dash.
EMPTY_CELL_ZH = {"missing": CELL_STATUS_ZH["missing"], "rejected": "未通过校验",
                 "not_applicable": CELL_STATUS_ZH["not_applicable"],
                 "refused": CELL_STATUS_ZH["refused"]}

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
               alignment: WD_ALIGN_PARAGRAPH | None = None, *, clean: bool = False
               ) -> Paragraph:
    paragraph = document.add_paragraph()
    format_ = paragraph.paragraph_format
    format_.line_spacing = Pt(28)
    format_.space_after = Pt(0)
    if alignment is not None:
        paragraph.alignment = alignment
    if role == "body":
        format_.first_line_indent = Pt(32)
    if role == "heading":
        format_.keep_with_next = True  # never the last line of a page
    for piece in pieces(parts, clean=clean):
        run = paragraph.add_run(piece.text)
        _font(run, role)
        if piece.role in ("gap", "check"):  # the marks, not the draft's words around them
            run.font.highlight_color = 7  # yellow
            run.font.color.rgb = RGBColor(0xC0, 0, 0)
        elif piece.role == "ref":
            run.font.superscript = True
    return paragraph


def _boxed(paragraph: Paragraph, fill: str = "FFF2CC") -> None:
    """A bordered, shaded paragraph: the gap list stands apart from the body text."""
    properties = paragraph._p.get_or_add_pPr()
    borders = etree.SubElement(properties, qn("w:pBdr"))
    for side in ("top", "left", "bottom", "right"):
        edge = etree.SubElement(borders, qn(f"w:{side}"))
        for name, value in (("val", "single"), ("sz", "6"), ("space", "4"),
                            ("color", "C00000")):
            edge.set(qn(f"w:{name}"), value)
    shading = etree.SubElement(properties, qn("w:shd"))
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)


def write_docx(path: Path, blocks: list[ResolvedBlock], figures: list[Figure],
               table: list[TableRow], years: tuple[int, ...],
               charts: list[tuple[str, Path]], from_settings: list[str], *,
               clean: bool = False) -> Path:
    """The traced draft, or with `clean` the copy for leaders: the same text without
    reference marks, highlights, the gap list or the appendices."""
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
            if gaps and not clean:
                box = _paragraph(document, [f"待补数据 {len(gaps)} 项（正文中以【待补：…】标出）："
                                            + "；".join(f.marker.strip("【】") for f in gaps)],
                                 "body")
                box.paragraph_format.first_line_indent = Pt(0)
                _boxed(box)
        elif block.kind == "heading":
            _paragraph(document, block.parts, "heading", clean=clean)
        else:
            _paragraph(document, block.parts, "body", clean=clean)
    for number, line in enumerate(signature_lines()):
        signed = _paragraph(document, [line], "body", WD_ALIGN_PARAGRAPH.RIGHT)
        signed.paragraph_format.first_line_indent = Pt(0)
        if number == 0:
            signed.paragraph_format.space_before = Pt(28)  # 落款 a line below the text
    if not clean:
        _appendices(document, figures, table, years, charts, from_settings)
    _page_numbers(section)
    _properties(document, blocks[0].text if blocks else "")
    document.save(path)
    return path


def _appendices(document: DocxDocument, figures: list[Figure], table: list[TableRow],
                years: tuple[int, ...], charts: list[tuple[str, Path]],
                from_settings: list[str]) -> None:
    document.add_page_break()
    _paragraph(document, ["附件一　数据来源"], "heading")
    _grid(document, ["序号", "指标", "取值", "取数", "来源文件与单元格"],
          [[str(f.number), f.indicator.name, _value_text(f), f.aggregation_zh, _sources(f)]
           for f in figures], numeric_columns={0, 2}, widths=(1.4, 4.0, 2.6, 2.6, 5.0))
    _paragraph(document, ["附件二　待核实"], "heading")
    verify = [f for f in figures if f.to_verify]
    for figure in verify or []:
        _paragraph(document, [f"[{figure.number}] {figure.indicator.name}："
                              + "；".join(figure.to_verify)], "body")
    if not verify:
        _paragraph(document, ["无。"], "body")
    for line in from_settings:
        _paragraph(document, [line], "body")
    _paragraph(document, ["附件三　各项指标五年数据"], "heading")
    _data_table(document, table, years)
    if charts:
        _paragraph(document, ["附件四　五年趋势图"], "heading")
        for number, (title, png) in enumerate(charts, start=1):
            document.add_picture(str(png), width=Cm(15.5))
            picture = document.paragraphs[-1]
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.keep_with_next = True  # the caption stays with it
            caption = document.add_paragraph()
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = caption.add_run(chart_caption(number, title))
            run.font.size = TABLE_SIZE


def _value_text(figure: Figure) -> str:
    if figure.value is None:
        return "暂缺"
    return f"{format_number(figure.value)} {figure.indicator.unit}"


def _sources(figure: Figure) -> str:
    """Each file once, with the cells taken from it: a table row, not a page per figure."""
    by_file: dict[str, list[str]] = {}
    for source in figure.sources:
        if source.file:
            by_file.setdefault(source.file, []).append(source.cell)
    missing = [str(s.year) for s in figure.sources if not s.file]
    parts = [f"{file}：{_cell_range(cells)}" for file, cells in by_file.items()]
    if missing:
        parts.append(f"{'、'.join(missing)}年未报送")
    return "；".join(parts)


_ADDRESS = re.compile(r"^(?P<sheet>.*)!(?P<column>[A-Z]+)(?P<row>\d+)$")


def _cell_range(cells: list[str]) -> str:
    """填报表!E9, F9 … I9 → 填报表!E9:I9: five years of one row (or column) as a range."""
    parsed = [_ADDRESS.match(c) for c in cells]
    if len(cells) < 2 or not all(parsed):
        return "、".join(cells)
    sheets = {m["sheet"] for m in parsed if m}
    rows = [int(m["row"]) for m in parsed if m]
    columns = [column_index_from_string(m["column"]) for m in parsed if m]
    in_a_row = len(set(rows)) == 1 and columns == list(range(columns[0],
                                                              columns[0] + len(cells)))
    in_a_column = len(set(columns)) == 1 and rows == list(range(rows[0], rows[0] + len(cells)))
    if len(sheets) == 1 and (in_a_row or in_a_column):
        return f"{cells[0]}:{cells[-1].split('!')[-1]}"
    return "、".join(cells)


def _page_numbers(section: Section) -> None:
    """公文 page numbers: — 1 — centred at the foot of every page."""
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    field = etree.SubElement(footer._p, qn("w:fldSimple"))
    field.set(qn("w:instr"), "PAGE")
    number = etree.SubElement(etree.SubElement(field, qn("w:r")), qn("w:t"))
    number.text = "1"
    footer._p.append(footer.add_run(" —")._r)
    for run in footer.runs:
        run.font.size = Pt(14)


def _properties(document: DocxDocument, title: str) -> None:
    office = f"{get_round().city}青年工作联席会议办公室"
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = title, office, office
    properties.created = properties.modified = utcnow().replace(tzinfo=None)
    properties.comments = "由 huizong 根据各单位报送数据生成的初稿"


def _grid(document: DocxDocument, header: list[str], rows: list[list[str]], *,
          numeric_columns: set[int], widths: tuple[float, ...] | None = None) -> None:
    """An appendix table: header repeated on every page, numbers right-aligned, 五号."""
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    grid.autofit = False
    for column, width in enumerate(widths or ()):
        grid.columns[column].width = Cm(width)
    repeat = etree.SubElement(grid.rows[0]._tr.get_or_add_trPr(), qn("w:tblHeader"))
    repeat.set(qn("w:val"), "true")
    for line, texts in enumerate([header, *rows]):
        row = grid.rows[0] if line == 0 else grid.add_row()
        # A row is never split across two pages.
        etree.SubElement(row._tr.get_or_add_trPr(), qn("w:cantSplit")).set(qn("w:val"), "true")
        cells = row.cells
        for column, (cell, text) in enumerate(zip(cells, texts, strict=True)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = TABLE_SIZE
            run.font.bold = line == 0
            if line == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif column in numeric_columns:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if widths:
                cell.width = Cm(widths[column])


def _data_table(document: DocxDocument, table: list[TableRow],
                years: tuple[int, ...]) -> None:
    by_indicator: dict[str, dict[int, TableRow]] = {}
    for row in table:
        by_indicator.setdefault(row.indicator_code, {})[row.year] = row
    rows = []
    for cells in by_indicator.values():
        first = next(iter(cells.values()))
        rows.append([first.indicator_name, first.unit, *(
            format_number(cells[y].value) if cells[y].value is not None and
            cells[y].status not in EMPTY_CELL_ZH else EMPTY_CELL_ZH.get(cells[y].status, "—")
            for y in years)])
    _grid(document, ["指标", "单位", *(f"{y}年" for y in years)], rows,
          numeric_columns=set(range(2, 2 + len(years))),
          widths=(5.0, 1.6, *([1.9] * len(years))))
