"""The API: REST routes, models and OpenAPI, admission control, market data WebSocket, metrics."""
