"""The run's products for people and programs: the consolidated table, the issue list and
the submission ledger as CSV and a print-ready XLSX, with every Chinese label they show."""

PRODUCT_FILES = ("indicator_table.csv", "issues.csv", "ledger.csv", "indicator_table.xlsx")
