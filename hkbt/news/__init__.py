"""News: load items, link them to companies, tag topics, align them to XHKG sessions, build signals."""
