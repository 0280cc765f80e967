"""Secrets the tests hand the router, to check they never come back out.

tests/conftest.py scans everything logged during the whole suite for them.
"""

# Not shaped like any known key format: only masking by value can hide it.
CLOUD_KEY = "ck-live-5f1e9a8b7c6d"
ADMIN_KEY = "adm-7Hq2xLp9vRt4"
CLIENT_TOKEN = "client-tok-93jf82hd"
BACKEND_KEY = "sk-test-key"
OPEN_WEBUI_KEY = "sk-owui-check"
OTHER_CLIENT_KEY = "sk-client-two-654321"
JUDGE_KEY = "jk-judge-4d7e1a90"

SECRETS = (
    CLOUD_KEY,
    ADMIN_KEY,
    CLIENT_TOKEN,
    BACKEND_KEY,
    OPEN_WEBUI_KEY,
    OTHER_CLIENT_KEY,
    JUDGE_KEY,
)
