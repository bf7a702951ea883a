"""The five-year report (近五年青年工作情况报告), filled from the consolidated table with
every figure traceable to its department, file and cell."""
