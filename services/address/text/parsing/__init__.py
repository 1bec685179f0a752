"""Chinese free-text address parsing (used in-process by ``POST /v1/addresses/parse``)."""

from .parser import LABELS, AddressParser, Chunk, load_parser, parse

__all__ = ["LABELS", "AddressParser", "Chunk", "load_parser", "parse"]
