"""The case pathway's I/O steps: intake, households, diagnosis, triage, referral, treatment, transitions."""
