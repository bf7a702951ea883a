"""审核台: the web console where the office and each department see their data and upload.
It calls pipeline/ and warehouse/; nothing below imports it."""
