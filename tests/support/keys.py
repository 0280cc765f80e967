"""Secrets the tests hand the router, to check they never come back out."""

# Not shaped like any known key format: only masking by value can hide it.
CLOUD_KEY = "ck-live-5f1e9a8b7c6d"
