"""Command line: thin click commands over the library (``hkbt ...``)."""
