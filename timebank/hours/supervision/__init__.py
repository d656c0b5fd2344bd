"""The supervisor's side of service records (SPEC §3.3): the anomalies every centre's records are checked for, and the
pages where supervisors rate the approved records of the centres assigned to them. A part of ``hours`` (it reads the
records' own tables), kept in its own folder so it can change without touching the staff's side."""
