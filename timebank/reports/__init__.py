"""Reports (SPEC §3.7): hours and credits per center, service type and month; the credits outstanding (the bank's
liability) against the goods of the coming drive; a drive's reservations, pickups and no-shows per center. Each is
aggregated by the database, read from the replica when there is one, and shown as a page (chart and table) and as
JSON, CSV and XLSX."""
