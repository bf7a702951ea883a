"""Page setup for every workbook a person prints: A4, one page wide, the title in the
page header, 第 N 页 共 M 页 in the footer, header rows repeated on every page."""

from __future__ import annotations

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

PAGE_NUMBERS = "第 &P 页 共 &N 页"


def print_ready(sheet: Worksheet, title: str, *, landscape: bool,
                repeat_rows: str | None = None) -> None:
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if landscape else "portrait"
    # fitToWidth alone is ignored: fitToPage switches scaling to "fit", and a height of 0
    # lets the rows run on over as many pages as they need.
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    setup.fitToWidth, setup.fitToHeight = 1, 0
    if repeat_rows:
        sheet.print_title_rows = repeat_rows
    sheet.oddHeader.center.text = title
    sheet.oddHeader.center.size = 12
    sheet.oddFooter.center.text = PAGE_NUMBERS
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3,
                                     footer=0.3)
    sheet.print_options.horizontalCentered = True
