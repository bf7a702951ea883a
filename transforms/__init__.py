"""Read any department workbook into tidy observations that remember their cell.

Pure: bytes in, observations and file-level issues out. No database, no Prefect.
"""

from schemas.observation import FileIssue, Observation, ParseStatus, ReadResult
from transforms.reader import read_file

__all__ = ["FileIssue", "Observation", "ParseStatus", "ReadResult", "read_file"]
