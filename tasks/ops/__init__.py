"""Operations: backups and the county demo's own database."""
