"""What every app may import and that belongs to no app: the family of
application errors and the API's door keepers. It imports no app and not
`config` (the import-linter contracts in pyproject.toml hold this)."""
