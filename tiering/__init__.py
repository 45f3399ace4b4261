"""The tiering command line: the entry point over scoring (and, later, reports and service)."""
