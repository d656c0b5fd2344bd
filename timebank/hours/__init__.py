"""Service hours (SPEC §3.2–3.3): service records logged by staff, by check-in or by import; the resident's rating;
approval into credits with a receipt; rejection; reversal; supervisors' reviews."""
