"""Reports of the yearly follow-up: one report model, rendered as a page, PDF, DOCX and XLSX."""
