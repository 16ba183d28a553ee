"""The built-in indicator catalogues (JSON data files); see README.md."""
