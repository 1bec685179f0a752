"""数据交换: ybss's records delivered to the provincial platform (警综平台) in its data standard (docs/EXCHANGE.md).

A subscriber of the published feeds (contracts.feeds), not a context: it maps each feed message through the
mapping tables (configuration, services/exchange/mappings) onto ``<ns>.exchange.province.<table>`` topics, and a
Kafka Connect JDBC sink (Debezium's) upserts them into the target database. Reconciliation compares the two sides.
"""
