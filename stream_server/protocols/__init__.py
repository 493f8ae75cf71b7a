"""One module per protocol, each converting between its wire format and ``MediaPacket``.

Protocols never import each other; they meet only through ``stream_server.stream.Stream``.
"""

__all__: list[str] = []
