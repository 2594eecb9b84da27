"""The Prefect runtime: the local server, serving deployments, warm starts; Prefect internals: prefect_internals."""
