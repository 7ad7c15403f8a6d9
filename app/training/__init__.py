"""Professional development taken elsewhere, attestation, the three-year register."""
