"""pytest wiring for mltestscore (options, markers, fixtures → check arguments)."""
