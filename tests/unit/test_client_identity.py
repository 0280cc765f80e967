"""Who a client is: its key, and which X-Forwarded-For entry to believe."""

from __future__ import annotations

import ipaddress

import pytest

from smarterrouter.security.clients import (
    Network,
    bearer,
    client_address,
    find_key,
    key_identity,
)
from smarterrouter.settings import Settings, SettingsError, load_settings

PROXIES: list[Network] = [
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("192.0.2.7"),
    ipaddress.ip_network("fd00::/8"),
]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        # An untrusted peer's header is the client's own word: ignored.
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),
        ("10.1.2.3", "198.51.100.1", "198.51.100.1"),
        # Right-most untrusted: what the client wrote on the left proves nothing.
        ("10.1.2.3", "1.1.1.1, 198.51.100.1", "198.51.100.1"),
        ("10.1.2.3", "1.1.1.1, 198.51.100.1, 192.0.2.7", "198.51.100.1"),
        ("10.1.2.3", "192.0.2.7, 10.9.9.9", "192.0.2.7"),
        ("10.1.2.3", "", "10.1.2.3"),
        ("10.1.2.3", "not-an-ip", "10.1.2.3"),
        ("fd00::1", "2001:db8::5", "2001:db8::5"),
        ("::ffff:10.1.2.3", "198.51.100.1", "198.51.100.1"),
        (None, "198.51.100.1", "unknown"),
    ],
)
def test_client_address(peer: str | None, forwarded: str | None, client: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("10.1.2.3", "198.51.100.1", []) == "10.1.2.3"


def test_find_key_matches_exactly_one_configured_key() -> None:
    keys = ["sk-aaaa-1111", "sk-bbbb-2222"]
    assert find_key("sk-bbbb-2222", keys) == "sk-bbbb-2222"
    assert find_key("sk-bbbb-222", keys) is None
    assert find_key("sk-bbbb-22222", keys) is None
    assert find_key(None, keys) is None
    assert find_key("sk-aaaa-1111", []) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None),
     (None, None), ("abc", None)],
)  # fmt: skip
def test_bearer(header: str | None, token: str | None) -> None:
    assert bearer(header) == token


def test_key_identity_does_not_reveal_the_key() -> None:
    assert "sk-aaaa-1111" not in key_identity("sk-aaaa-1111")
    assert key_identity("sk-aaaa-1111") != key_identity("sk-aaaa-1112")


@pytest.mark.parametrize("value", ["sk-a1, sk-b2 ,,sk-c3", '["sk-a1", "sk-b2", "sk-c3"]'])
def test_list_settings_take_commas_or_json(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTER_API_KEYS", value)
    monkeypatch.setenv("ROUTER_CORS_ORIGINS", value.replace("sk-", "https://"))
    settings = load_settings(_env_file=None)
    assert [k.get_secret_value() for k in settings.api_keys] == ["sk-a1", "sk-b2", "sk-c3"]
    assert settings.cors_origins == ["https://a1", "https://b2", "https://c3"]
    assert "sk-a1" not in repr(settings)


def test_trusted_proxies_are_networks_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROUTER_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    assert [str(n) for n in load_settings(_env_file=None).trusted_proxies] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
    ]
    monkeypatch.setenv("ROUTER_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")
    with pytest.raises(SettingsError, match="ROUTER_TRUSTED_PROXIES"):
        load_settings(_env_file=None)


def test_empty_lists_mean_off() -> None:
    settings = Settings(_env_file=None, api_keys="", cors_origins=" ", trusted_proxies="")  # type: ignore[call-arg]
    assert (settings.api_keys, settings.cors_origins, settings.trusted_proxies) == ([], [], [])
