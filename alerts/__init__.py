"""Data-quality alerts: one mail per department with its own workbook annotated,
reminders for late departments and the office's daily summary."""
