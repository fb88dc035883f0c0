"""The REST API (FastAPI) under ``/api/v1``; thin over the domain packages."""
