"""The report's compiled templates kept on disk: a run does not compile them again.

Jinja2 turns each template into Python code the first time a process renders it:
about 0.04 s for the run report and the index page, every run, for code that only
changes when hkbt does. Jinja2's own bytecode-cache protocol
(:class:`jinja2.BytecodeCache`) stores that code; :class:`TemplateCache` keeps it in
``<sentiment.cache_dir>/templates/``, the run's cache folder, under the rules of
hkbt's other caches:

- **The key** of an entry is the SHA-256 of this format's version, the template's
  name and file, and the Jinja2 and Python versions. Inside the entry Jinja2 also
  keeps the checksum of the template's source and its own format marker: an edited
  template, another Jinja2 or another Python compiles afresh.
- **An entry** is written atomically: the line :data:`MAGIC`, the SHA-256 of the
  rest, then Jinja2's bytes. It is used only when the digest checks out; a damaged
  entry is compiled again and rewritten (the page is the same either way). A file at
  an entry's path that does not start with :data:`MAGIC` was not written by hkbt:
  it is neither read nor replaced.
- A folder that cannot be written costs only the compilation.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from hkbt.errors import DataError
from hkbt.files import ours_or_missing, unseal, write_sealed

FORMAT = 1
"""Version of the entry layout; part of the key."""

MAGIC = b"hkbt jinja2 template 1\n"
"""How every entry hkbt writes begins (a file without it was not written by hkbt)."""

FOLDER = "templates"
"""The entries' folder inside the cache folder."""


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates in ``<cache folder>/templates/`` (see the module docstring)."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = Path(cache_dir) / FOLDER

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        parts = {"format": FORMAT, "name": name, "file": filename or "", "jinja2": jinja2.__version__, "python": sys.version}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def entry(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key[:32]}.j2c"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            raw = self.entry(bucket).read_bytes()
        except OSError:
            return  # none yet (or unreadable): Jinja2 compiles the template
        if not raw.startswith(MAGIC):
            return  # not hkbt's: compiled afresh, the file left alone
        try:
            body = unseal(raw[len(MAGIC):])
        except ValueError:
            return  # damaged: compiled again, and dump_bytecode rewrites it
        bucket.bytecode_from_string(body)  # Jinja2 ignores it unless its own marker and the source checksum match

    def dump_bytecode(self, bucket: Bucket) -> None:
        path = self.entry(bucket)
        if not ours_or_missing(path, MAGIC):
            return
        body = bucket.bytecode_to_string()
        try:
            write_sealed(path, MAGIC, body)
        except DataError:
            pass  # the cache folder cannot be written: the next run compiles again
