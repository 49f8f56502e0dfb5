"""config.resolved.yaml is written by libyaml's emitter only where it writes what PyYAML's own emitter writes."""

from __future__ import annotations

import numpy as np
import yaml

from hkbt.backtest.results import yaml_text
from hkbt.config import Config


ALPHABET = [chr(c) for c in np.random.default_rng(9).integers(0x20, 0xFFFF, 300) if chr(c).isprintable()] + list(
    "ab :#-?,[]{}&*!|>'\"%@`\\é価 ") + ["yes", "null", "1e3", "0x1F", "~", "- x", "2025-01-01", "on", ".inf", "+1", "(?:x)",
                                         r"\b", "\u00a0", "\u3000", "\u200b", "\ufeff"]


def python_emitter(data: object) -> str:
    return yaml.dump(data, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True)


def test_the_same_text_on_random_settings():
    rng = np.random.default_rng(17)

    def text(long: bool = True) -> str:
        size = rng.integers(20, 300) if long and rng.random() < 0.3 else rng.integers(0, 8)
        return "".join(rng.choice(ALPHABET, size))

    def key() -> str:
        while not (0 < len(name := text(long=False)) <= 40):
            pass
        return name

    for _ in range(1500):
        data = {"run": {"name": text(), "values": [text(), 1.5, None, True, 10**20, 1e-7, 1e300, -0.0, 12345678.9]},
                key(): {key(): [text(), {key(): text()}, []], "empty": {}}, "patterns": [r"\b(?:xi|li)\s+jinping\b", "习近平", text()]}
        assert yaml_text(data) == python_emitter(data)


def test_the_same_text_on_every_default_setting():
    resolved = Config.model_validate({}, context={"strategy": False}).resolved()
    assert yaml_text(resolved) == python_emitter(resolved)
    assert yaml.safe_load(yaml_text(resolved)) == resolved


def test_text_libyaml_would_write_differently_goes_to_pyyaml():
    odd = [{"": {"k": "v"}}, {"key " * 40: "v"}, {"line": "one\ntwo " * 30}, {"far": "𤋮 beyond the BMP"},
           {"list": ["tab\tinside"]}, {"nel": "a\x85b"}]
    for data in odd:
        assert yaml_text(data) == python_emitter(data)
    libyaml = [yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True) for data in odd]
    assert [data for data, text in zip(odd, libyaml) if text != python_emitter(data)]  # (the emitters do disagree on such text)
