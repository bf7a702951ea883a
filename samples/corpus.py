"""Write every workbook shape the reader must handle as real files, with what it holds.

Each writer returns a `Sample`: the file, the inbox sub-folder it belongs in (if any)
and the observations a correct reader must produce from it (base unit, status, cell).
Tests assert against `expected`; the example inbox is built from the same writers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlsxwriter
import xlwt
from openpyxl.utils import get_column_letter

from forms.layout import DATA_SHEET, FIRST_DATA_ROW
from forms.workbook import write_template
from schemas.catalogue import Catalogue
from schemas.departments import Registry
from schemas.observation import ParseStatus
from schemas.round import RoundParameters


@dataclass(frozen=True, slots=True)
class Expected:
    indicator_code: str
    year: int
    value: float | None  # base unit
    status: ParseStatus
    sheet: str
    cell: str


@dataclass(slots=True)
class Sample:
    path: Path
    department: str | None
    folder: str | None = None
    expected: list[Expected] = field(default_factory=list)


Figures = dict[tuple[str, int], float]


def _base(catalogue: Catalogue, code: str, value: float) -> float:
    return round(value * catalogue.factor(catalogue.indicator(code)), 6)


def _cell(row: int, column: int) -> str:
    """1-based row and column to an A1 address."""
    return f"{get_column_letter(column)}{row}"


class CorpusWriter:
    def __init__(self, catalogue: Catalogue, registry: Registry, parameters: RoundParameters,
                 figures: Figures, out_dir: Path) -> None:
        self.catalogue, self.registry, self.parameters = catalogue, registry, parameters
        self.figures, self.out_dir = figures, out_dir
        self.years = parameters.round.years
        out_dir.mkdir(parents=True, exist_ok=True)

    def _expected(self, code: str, year: int, sheet: str, cell: str) -> Expected:
        """The observation a figure written at `sheet!cell` must read back as."""
        value = self.figures[(code, year)]
        return Expected(code, year, _base(self.catalogue, code, value), ParseStatus.NUMBER,
                        sheet, cell)

    # ── our own template, filled correctly ─────────────────────────────────
    def filled_template(self, department: str, name: str | None = None,
                        typed: dict[tuple[str, int], object] | None = None) -> Sample:
        """Our template, filled from the figures; `typed` puts text or a blank in a cell
        instead (its expected observation is then left to the caller)."""
        dept = self.registry.get(department)
        typed = typed or {}
        path = write_template(dept, self.catalogue, self.parameters, self.out_dir)
        if name:
            path = path.rename(self.out_dir / name)
        workbook = openpyxl.load_workbook(path)
        sheet = workbook[DATA_SHEET]
        sample = Sample(path, department)
        for offset, indicator in enumerate(self.catalogue.owned_by(department)):
            row = FIRST_DATA_ROW + offset
            for column, year in enumerate(self.years, start=5):
                value = self.figures[(indicator.code, year)]
                if (indicator.code, year) in typed:
                    sheet.cell(row, column, typed[(indicator.code, year)])
                    continue
                sheet.cell(row, column, int(value) if indicator.checks.integer else value)
                sample.expected.append(self._expected(indicator.code, year, DATA_SHEET,
                                                      _cell(row, column)))
        workbook.save(path)
        return sample

    # ── last year's figures left in a hidden first sheet ─────────────────────
    def with_hidden_stale_sheet(self, sample: Sample, sheet_name: str = "旧版（勿用）",
                                state: str = "hidden") -> Sample:
        """The sample's workbook with a copy of its data sheet, holding other (stale)
        figures, inserted first and hidden: the visible sheet is the one to read."""
        workbook = openpyxl.load_workbook(sample.path)
        stale = workbook.copy_worksheet(workbook[DATA_SHEET])
        stale.title = sheet_name
        for row in stale.iter_rows(min_row=FIRST_DATA_ROW):
            for cell in row:
                if isinstance(cell.value, int | float) and cell.column >= 5:
                    cell.value = round(cell.value * 0.8) + 1
        stale.sheet_state = state
        workbook.move_sheet(stale, offset=-(len(workbook.sheetnames) - 1))
        workbook.active = workbook.sheetnames.index(DATA_SHEET)
        workbook.save(sample.path)
        return sample

    # ── a retyped wide table: title, blank first column, 序号, two-row header ─
    def wide_messy(self, department: str, file_name: str) -> Sample:
        dept = self.registry.get(department)
        indicators = self.catalogue.owned_by(department)
        path = self.out_dir / file_name
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Sheet1")
        title = book.add_format({"bold": True, "font_size": 16, "align": "center"})
        sheet.merge_range("B2:K2", f"{self.parameters.city}近五年青年发展主要指标统计表", title)
        sheet.write("B3", f"填报单位：{self.parameters.city}{dept.name.removeprefix('市')}（盖章）")
        sheet.merge_range("B5:B6", "序号")
        sheet.merge_range("C5:D6", "指 标 名 称")
        sheet.merge_range("E5:E6", "计量单位")
        sheet.merge_range("F5:J5", "年度")
        year_labels = ["2021年度", "２０２２", "2023年", 2024, "2025年"]
        for offset, label in enumerate(year_labels):
            sheet.write(5, 5 + offset, label)
        sheet.merge_range("K5:K6", "备注")
        sample = Sample(path, department)
        row = 6  # 0-based: Excel row 7
        for number, indicator in enumerate(indicators, start=1):
            label = f"（{'一二三四五六七八九十'[number % 10]}）{indicator.aliases[0]}"
            unit = indicator.unit
            scale = 1.0
            if indicator.unit.startswith("万") and indicator.unit != "万元":
                unit, scale = indicator.unit[1:], 10_000.0  # reported in 人次, not 万人次
            sheet.write(row, 1, number)
            sheet.merge_range(row, 2, row, 3, label)
            sheet.write(row, 4, unit)
            for offset, year in enumerate(self.years):
                value = self.figures[(indicator.code, year)] * scale
                typed: object = round(value, 4)
                if offset == 1 and value >= 1000 and float(value).is_integer():
                    typed = f"{int(value):,}"  # text with thousands separator
                sheet.write(row, 5 + offset, typed)
                sample.expected.append(self._expected(indicator.code, year, "Sheet1",
                                                      _cell(row + 1, 6 + offset)))
            row += 1
        sheet.write(row, 2, "合计")
        sheet.write(row, 5, 999)
        sheet.merge_range(row + 2, 1, row + 2, 10,
                          "注：1.以上数据截至各年度末；2.人次类指标按“人次”填报。")
        sheet.write(row + 3, 1, "填报人：张三      联系电话：0000-1234567")
        book.close()
        return sample

    # ── a long table, columns in an unusual order, department from the folder ──
    def long_table(self, department: str, file_name: str, folder: str) -> Sample:
        indicators = self.catalogue.owned_by(department)
        path = self.out_dir / file_name
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "数据"
        sheet.append(["青年发展数据（长表）"])
        sheet.append([])
        sheet.append(["年份", "单位", "指标", "数值", "备注"])
        sample = Sample(path, department, folder)
        for indicator in indicators:
            for year in self.years:
                value = self.figures[(indicator.code, year)]
                year_label: object = year if year % 2 else f"{year}年"
                sheet.append([year_label, indicator.unit, indicator.name, value, ""])
                sample.expected.append(self._expected(indicator.code, year, "数据",
                                                      f"D{sheet.max_row}"))
        workbook.save(path)
        return sample

    # ── one sheet per year, old .xls written by xlwt ─────────────────────────
    def per_year_xls(self, department: str, file_name: str) -> Sample:
        dept = self.registry.get(department)
        indicators = self.catalogue.owned_by(department)
        path = self.out_dir / file_name
        book = xlwt.Workbook(encoding="utf-8")
        sample = Sample(path, department)
        sheet_names = {2021: "2021年", 2022: "2022", 2023: "２０２３年", 2024: "2024年度",
                       2025: "2025"}
        for year in self.years:
            name = sheet_names.get(year, str(year))
            sheet = book.add_sheet(name)
            sheet.write_merge(0, 0, 0, 3, f"{year}年青年发展数据")
            sheet.write(1, 0, f"填报单位：{dept.name}")
            for column, label in enumerate(["序号", "指标名称", "单位", "数值"]):
                sheet.write(3, column, label)
            for offset, indicator in enumerate(indicators):
                value = self.figures[(indicator.code, year)]
                sheet.write(4 + offset, 0, offset + 1)
                sheet.write(4 + offset, 1, indicator.name)
                sheet.write(4 + offset, 2, indicator.unit)
                sheet.write(4 + offset, 3, value)
                sample.expected.append(self._expected(indicator.code, year, name,
                                                      f"D{5 + offset}"))
        book.save(str(path))
        return sample

    # ── CSV in UTF-8 or GBK ──────────────────────────────────────────────────
    def csv_table(self, department: str, file_name: str, encoding: str) -> Sample:
        dept = self.registry.get(department)
        path = self.out_dir / file_name
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([f"填报单位：{dept.name}"])
        writer.writerow(["指标名称", "单位", *(f"{y}年" for y in self.years), "备注"])
        sample = Sample(path, department)
        for offset, indicator in enumerate(self.catalogue.owned_by(department)):
            values = [self.figures[(indicator.code, y)] for y in self.years]
            writer.writerow([indicator.name, indicator.unit, *values, ""])
            for column, year in enumerate(self.years, start=3):
                sample.expected.append(self._expected(indicator.code, year, "CSV",
                                                      _cell(3 + offset, column)))
        path.write_bytes(buffer.getvalue().encode(encoding))
        return sample

    # ── every way of typing a value ──────────────────────────────────────────
    def values_zoo(self, file_name: str) -> Sample:
        """市教育局's template where each cell of the first rows is typed a different way."""
        sample = self.filled_template("edu", file_name)
        workbook = openpyxl.load_workbook(sample.path)
        sheet = workbook[DATA_SHEET]
        codes = [i.code for i in self.catalogue.owned_by("edu")]
        row_of = {code: FIRST_DATA_ROW + n for n, code in enumerate(codes)}
        n, a, u, p = ParseStatus.NUMBER, ParseStatus.APPROXIMATE, ParseStatus.UNPARSED, \
            ParseStatus.NOT_APPLICABLE
        typed = {
            # (indicator, year): (typed text, base value, status)
            ("edu.student_aid.beneficiaries", 2021): ("1.2万", 12_000.0, n),
            ("edu.student_aid.beneficiaries", 2022): ("３.５", 35_000.0, n),
            ("edu.student_aid.beneficiaries", 2023): ("32000人次", 32_000.0, n),
            ("edu.student_aid.beneficiaries", 2024): ("约3万", 30_000.0, a),
            ("edu.student_aid.beneficiaries", 2025): ("见附件", None, u),
            ("edu.disabled_children.total", 2021): ("１,３５０", 1_350.0, n),
            ("edu.disabled_children.total", 2022): ("1350人", 1_350.0, n),
            ("edu.disabled_children.total", 2023): ("300余", 300.0, a),
            ("edu.disabled_children.total", 2024): ("300多", 300.0, a),
            ("edu.disabled_children.total", 2025): ("约300", 300.0, a),
            ("edu.disabled_children.enrolment_rate", 2021): ("98.6％", 98.6, n),
            ("edu.disabled_children.enrolment_rate", 2022): ("—", None, p),
            ("edu.disabled_children.enrolment_rate", 2023): ("/", None, p),
            ("edu.disabled_children.enrolment_rate", 2024): ("无", None, p),
            ("edu.disabled_children.enrolment_rate", 2025): ("不适用", None, p),
            ("edu.teachers.recruited", 2021): ("0", 0.0, n),
            ("edu.teachers.recruited", 2022): (0, 0.0, n),
            ("edu.teachers.recruited", 2023): ("待统计", None, u),
            ("edu.teachers.recruited", 2024): (None, None, ParseStatus.BLANK),
            ("edu.teachers.recruited", 2025): ("  ", None, ParseStatus.BLANK),
            ("edu.rural_allowance.village_school", 2021): ("2,000元", 2_000.0, n),
            ("edu.rural_allowance.village_school", 2022): ("0.2万元", 2_000.0, n),
        }
        replaced = {(e.indicator_code, e.year): e for e in sample.expected}
        for (code, year), (text, value, status) in typed.items():
            cell = _cell(row_of[code], 5 + self.years.index(year))
            sheet[cell] = text
            replaced[(code, year)] = Expected(code, year, value, status, DATA_SHEET, cell)
        sheet.cell(row_of["edu.teachers.recruited"], 10, "2023年数据待人社部门核定")
        workbook.save(sample.path)
        sample.expected = list(replaced.values())
        return sample

    # ── a formula whose result was never calculated (written by a generator) ──
    def uncalculated_formula(self, file_name: str) -> Sample:
        sample = self.filled_template("science", file_name)
        workbook = openpyxl.load_workbook(sample.path)
        sheet = workbook[DATA_SHEET]
        sheet["I5"] = "=E5+F5"
        workbook.save(sample.path)
        sample.expected = [e if e.cell != "I5" else Expected(
            e.indicator_code, e.year, None, ParseStatus.UNPARSED, DATA_SHEET, "I5")
            for e in sample.expected]
        return sample

    # ── a macro-enabled workbook (.xlsm); macros are never run ───────────────
    def macro_workbook(self, file_name: str) -> Sample:
        sample = self.filled_template("org", file_name)
        with zipfile.ZipFile(sample.path, "a") as archive:
            archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
        return sample


# ── files that must be refused with one clear issue ─────────────────────────
def write_hostile(out_dir: Path, valid_xlsx: Path) -> dict[str, Path]:
    """{expected rule: path} for every hostile or broken file the reader must survive."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = valid_xlsx.read_bytes()
    files: dict[str, Path] = {}

    def put(rule: str, name: str, content: bytes) -> None:
        path = out_dir / name
        path.write_bytes(content)
        files[rule] = path

    put("file_corrupt", "损坏的文件.xlsx", data[: len(data) // 2])
    put("file_not_spreadsheet", "其实是图片.xlsx",
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    put("file_docx", "其实是Word文档.xlsx", docx.getvalue())
    put("file_encrypted", "加密的表格.xlsx", _encrypted(valid_xlsx))
    empty = io.BytesIO()
    openpyxl.Workbook().save(empty)
    put("workbook_empty", "空白工作簿.xlsx", empty.getvalue())
    huge = openpyxl.Workbook()
    huge.active["A1"] = "填报单位：市教育局"
    huge.active["XFD1048576"] = "x"
    huge_bytes = io.BytesIO()
    huge.save(huge_bytes)
    put("sheet_too_large", "范围异常.xlsx", huge_bytes.getvalue())
    put("zip_bomb", "压缩炸弹.xlsx", _zip_bomb(data))
    put("xml_entities", "实体扩展.xlsx", _entity_expansion(data))
    put("file_empty", "零字节.xlsx", b"")
    return files


def _encrypted(path: Path) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with path.open("rb") as source:
        OOXMLFile(source).encrypt("123456", out)
    return out.getvalue()


def _zip_bomb(valid: bytes, size: int = 256 * 1024 * 1024) -> bytes:
    """A valid workbook with one extra member that inflates to `size` bytes of zeros."""
    out = io.BytesIO(valid)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/media/padding.bin", "w", force_zip64=True) as member:
        chunk = b"\x00" * (4 * 1024 * 1024)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return out.getvalue()


def _entity_expansion(valid: bytes) -> bytes:
    """The workbook part declares nested entities (billion laughs) before its root."""
    laughs = (
        b'<!DOCTYPE workbook [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    source = zipfile.ZipFile(io.BytesIO(valid))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                declaration_end = content.find(b"?>") + 2 if b"?>" in content else 0
                content = content[:declaration_end] + laughs + content[declaration_end:]
            archive.writestr(item, content)
    return out.getvalue()
