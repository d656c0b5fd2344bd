"""Service requests (点单 → 领办, SPEC §3.1): staff post a need of a resident, volunteers of that center claim it (or
staff assign them), and completing it leaves one pending service record per volunteer who served."""
