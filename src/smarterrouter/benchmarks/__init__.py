"""Published benchmark scores: the bundled table, name matching, online sync, and
the quality prior routing takes from them (see README, "External benchmarks")."""
