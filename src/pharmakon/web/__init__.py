"""The web workbench: server-rendered pages over the same domain API as the REST API."""
