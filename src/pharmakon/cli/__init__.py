"""The ``pharmakon`` command line (thin: parse, call the domain API, render)."""
