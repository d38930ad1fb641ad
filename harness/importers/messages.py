"""One-line error messages: long fused tensor names are shortened, and no line reaches
MAX_LINE characters (the CLI prints `error: <message>`)."""
from __future__ import annotations

__all__ = ["MAX_LINE", "short_name", "one_line"]

MAX_LINE = 200
_NAME_LIMIT = 40


def short_name(name: str, limit: int = _NAME_LIMIT) -> str:
    """A tensor name cut in the middle when longer than `limit` (converters fuse op names
    into names hundreds of characters long: 'model/conv2d_3/Conv2D;model/.../BiasAdd')."""
    name = " ".join(name.split())
    if len(name) <= limit:
        return name
    keep = (limit - 3) // 2
    return f"{name[:keep]}...{name[-(limit - 3 - keep):]}"


def one_line(message: str) -> str:
    """The message on one line, shorter than MAX_LINE characters."""
    message = " ".join(message.split())
    if len(message) < MAX_LINE:
        return message
    return message[:MAX_LINE - 5] + " ..."
