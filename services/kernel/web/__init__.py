"""Kernel layer 4, the web (接口): the app factory, authentication and authorization, request limits, masked
answers, paging, exports and read-your-writes for every context's HTTP API.

Imports the base, event-sourcing and messaging layers."""
