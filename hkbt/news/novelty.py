"""Novelty: the same story from several sources counts once.

Wires and papers rewrite one another within hours: "Alibaba shares jump after
Xi meets Jack Ma" and "Alibaba jumps as Xi meets Jack Ma, other founders" are one
piece of news, not two. Counting both would double the evidence for one event.

An item *echoes* an earlier item when their headlines are near-duplicates --
the Jaccard similarity of their word sets (lower-cased Latin words and numbers,
Chinese character pairs, a few function words left out) is at least
``similarity`` -- and the earlier one was published at most ``window_hours``
before it. :mod:`hkbt.news.signals` then counts an echo with weight 0 for a
ticker the earlier item already reached, and still cites it.

No look-ahead: whether an item echoes depends only on items published before
it (at the same instant, on those with a smaller ``news_id``), so publishing an
item later never changes the status of anything published earlier.
"""

from __future__ import annotations

import re
from collections import Counter, deque

import pandas as pd

_LATIN = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
STOPWORDS = frozenset(
    "a an the of to in on for and or as at by with from is are be its it this that after over says said will "
    "amid into than".split()
)


def headline_tokens(text: str) -> frozenset[str]:
    """The words two headlines are compared by.

    >>> sorted(headline_tokens("Xi meets Jack Ma, and the DeepSeek founder"))
    ['deepseek', 'founder', 'jack', 'ma', 'meets', 'xi']
    >>> "马云" in headline_tokens("马云出席座谈会"), len(headline_tokens("马云出席座谈会"))  # character pairs
    (True, 6)
    """
    lowered = str(text).lower()
    words = {w for w in _LATIN.findall(lowered) if w not in STOPWORDS}
    for run in _CJK_RUN.findall(lowered):
        words.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    return frozenset(words)


def find_echoes(news: pd.DataFrame, window_hours: float, similarity: float) -> pd.Series:
    """Pure: for each item, the ids of earlier items its headline echoes (a list, empty for most).

    Args:
        news: ``news_id``, ``published_at`` (tz-aware) and ``headline``.
        window_hours: how far back an earlier item may be (0 turns novelty off).
        similarity: the least Jaccard similarity of the two word sets, in (0, 1].

    Returns:
        A Series of lists aligned with ``news``' index; each list holds the
        earlier items' ids, oldest first.

    >>> stamps = pd.to_datetime(["2025-02-17 11:00", "2025-02-17 12:00", "2025-02-19 12:00"], utc=True)
    >>> news = pd.DataFrame({"news_id": ["a", "b", "c"], "published_at": stamps, "headline": [
    ...     "Xi meets Jack Ma and Pony Ma", "Xi meets Pony Ma and Jack Ma in Beijing", "Xi meets Jack Ma and Pony Ma"]})
    >>> find_echoes(news, 24, 0.6).tolist()   # c is two days later: outside the window
    [[], ['a'], []]
    """
    if window_hours <= 0 or news.empty:
        return pd.Series([[] for _ in range(len(news))], index=news.index, dtype=object)
    order = news.sort_values(["published_at", "news_id"], kind="stable")
    stamps = pd.DatetimeIndex(order.published_at).as_unit("ns").asi8
    window = int(window_hours * 3600 * 1e9)
    stamps_seen: list[int] = []  # every item seen, in publication order: its time, id and number of words ...
    ids: list[str] = []
    sizes: list[int] = []  # ... kept in three lists, indexed by position
    postings: dict[str, deque[int]] = {}  # word -> positions of recent items containing it
    first = 0  # items first.. are inside the window
    found: list[list[str]] = []
    for news_id, stamp, headline in zip(order.news_id.tolist(), stamps.tolist(), order.headline.tolist()):
        while first < len(stamps_seen) and stamp - stamps_seen[first] > window:
            first += 1
        words = headline_tokens(headline)
        size = len(words)
        shared: Counter[int] = Counter()
        for word in words:
            positions = postings.get(word)
            while positions and positions[0] < first:
                positions.popleft()  # each position leaves once: linear overall
            if positions:
                shared.update(positions)
        hits = [p for p, common in shared.items() if common / (size + sizes[p] - common) >= similarity]
        found.append([ids[p] for p in sorted(hits)] if hits else [])
        for word in words:
            postings.setdefault(word, deque()).append(len(ids))
        stamps_seen.append(stamp)
        ids.append(news_id)
        sizes.append(size)
    return pd.Series(found, index=order.index, dtype=object).reindex(news.index)
