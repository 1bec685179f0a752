"""A city to test with (测试用城市): a deterministic synthetic 蒙自市 and its loader.

``ybss city generate`` writes the city as phased JSONL chunks plus ``truth.json`` (what every supervisor figure
must be); ``ybss city load`` sends it through the registries' own front doors, resumably. A tool, not a context:
it imports only contracts/ and talks to the services over HTTP.
"""
