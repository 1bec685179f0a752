"""Integration feeds (数据共享订阅): each registry publishes the current state of its records for other systems
(contracts.feeds is the message; docs/FEEDS.md is the subscriber's guide)."""
