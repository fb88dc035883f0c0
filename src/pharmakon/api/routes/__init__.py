"""One module per resource; ``api.app`` includes them under ``/api/v1``."""
