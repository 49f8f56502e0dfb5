"""Reports: HTML pages read back from finished run folders (run report, comparison, index, study)."""
