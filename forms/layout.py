"""Where things sit in our own template; the reader finds them by content, not by these."""

DATA_SHEET = "填报表"
GUIDE_SHEET = "填报说明"
TITLE_ROW = 1
UNIT_ROW = 2
HEADER_ROW = 4
FIRST_DATA_ROW = 5
FIXED_HEADERS = ("序号", "指标代码", "指标名称", "单位")
NOTE_HEADER = "备注"
NOT_APPLICABLE_MARK = "—"
