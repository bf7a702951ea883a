"""The Excel forms (填报表) sent to departments, derived from the catalogue."""
