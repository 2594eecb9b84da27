"""The coordinators' console (Chinese, server-rendered): ``dabing console`` or beside ``dabing up``."""
