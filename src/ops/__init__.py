"""Operator commands run from a shell: imports, backups."""
