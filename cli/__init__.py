"""The coordinator CLI (`dabing`, typer): parameters, commands and the one error handler; each command runs a flow."""
