"""One module per source of memory figures: a thin runner plus a pure parser.

Parsers take the tool's text and return frozen values (or raise ProbeError);
runners only fetch that text, from a subprocess with a timeout or from sysfs.
"""
