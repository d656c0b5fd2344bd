"""What an operator runs beside the service: backups and restores, and the Prometheus metrics."""
