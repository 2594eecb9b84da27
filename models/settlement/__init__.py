"""One-stop settlement (一站式结算): policy schema, bill/statement schemas, the pure engine."""
