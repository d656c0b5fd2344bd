"""What every spreadsheet import shares (the volunteers', the service records'): reading any CSV or XLSX upload
safely (``reading``), its header and lines (``lines``), the file waiting for confirmation (``pending``), the upload
of a request (``uploads``) and the blank templates (``reading.template_csv``/``template_xlsx``)."""
