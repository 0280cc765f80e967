"""check_input: each limit refuses with its status and names its setting; a request
within every limit passes untouched."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from smarterrouter.errors import InvalidRequest, PayloadTooLarge, RouterError
from smarterrouter.security.limits import check_input, inline_image_bytes
from smarterrouter.settings import Settings


def _settings(**extra: Any) -> Settings:
    return Settings(_env_file=None, **extra)  # type: ignore[call-arg]


def _image(size: int) -> dict[str, Any]:
    data = base64.b64encode(b"\x89" * size).decode()
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


def _user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": "look"}, *parts]}


@pytest.mark.parametrize(
    ("body", "settings", "error", "setting"),
    [
        ({"messages": [{"role": "user", "content": "hi"}] * 4}, {"max_messages": 3},
         InvalidRequest, "ROUTER_MAX_MESSAGES"),
        ({"messages": [{"role": "user", "content": "x" * 6}]}, {"max_content_chars": 5},
         PayloadTooLarge, "ROUTER_MAX_CONTENT_CHARS"),
        ({"messages": [{"role": "user", "content": "abc"}, _user()]},
         {"max_content_chars": 6}, PayloadTooLarge, "ROUTER_MAX_CONTENT_CHARS"),
        ({"messages": [_user(_image(1), _image(1)), _user(_image(1))]}, {"max_images": 2},
         InvalidRequest, "ROUTER_MAX_IMAGES"),
        ({"messages": [_user(_image(1024 * 1024 + 1))]}, {"max_image_mb": 1},
         PayloadTooLarge, "ROUTER_MAX_IMAGE_MB"),
    ],
    ids=["messages", "chars", "chars-in-parts", "images", "image-size"],
)  # fmt: skip
def test_each_limit_refuses_naming_its_setting(
    body: dict[str, Any], settings: dict[str, Any], error: type[RouterError], setting: str
) -> None:
    with pytest.raises(error) as err:
        check_input(body, _settings(**settings))
    assert type(err.value) is error
    assert setting in err.value.message
    assert err.value.status_code == (400 if error is InvalidRequest else 413)


def test_a_request_at_every_limit_passes_unchanged() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "ab"},
            _user(
                _image(1024 * 1024), {"type": "image_url", "image_url": {"url": "https://x/y.png"}}
            ),
        ]
    }
    before = copy.deepcopy(body)
    check_input(body, _settings(max_messages=2, max_content_chars=6, max_images=2, max_image_mb=1))
    assert body == before


@pytest.mark.parametrize("body", [{}, {"messages": "hi"}, {"messages": [None, 3, {"content": 5}]}])
def test_malformed_bodies_are_left_to_the_validator(body: dict[str, Any]) -> None:
    check_input(body, _settings())


@pytest.mark.parametrize("size", [0, 1, 2, 3, 1000, 1001, 1002])
def test_inline_image_size_is_the_decoded_size(size: int) -> None:
    data = base64.b64encode(b"\x00" * size).decode()
    assert inline_image_bytes(f"data:image/jpeg;base64,{data}") == size


def test_a_linked_image_has_no_size_of_ours() -> None:
    assert inline_image_bytes("https://example.com/cat.png") is None
