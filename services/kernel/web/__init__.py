"""Kernel layer 4, the web (接口): the app factory, authentication and authorization, request limits, masked
answers, paging, exports, read-your-writes and one-line command routes for every context's HTTP API.

Imports the base, event-sourcing and messaging layers."""
