"""Service: runs a Node's loop and its API server in background threads, and stops both cleanly."""

from __future__ import annotations

import asyncio
import errno
import logging
import threading

from aiohttp import web

from clobnode.api.admission import Admission, RateLimiter
from clobnode.api.app import ApiContext, make_app
from clobnode.da import kzg
from clobnode.errors import ClobnodeError
from clobnode.exchange.exits import Exits
from clobnode.exchange.markets import MarketCatalog
from clobnode.node import Node
from clobnode.storage.store import Store

log = logging.getLogger(__name__)


class ServiceError(ClobnodeError):
    """The node's services could not start."""


class ApiServer:
    """The aiohttp app on its own event loop in a thread."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, access_log=None)
        self._ready = threading.Event()
        self._error: OSError | None = None
        self._thread = threading.Thread(target=self._serve, name="clobnode-api", daemon=True)
        self.port = port

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            self._loop.run_until_complete(site.start())
        except OSError as exc:
            self._error = exc
            self._ready.set()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()
            return
        server = site._server  # the bound socket tells the real port when 0 was asked for
        if isinstance(server, asyncio.Server) and server.sockets:
            self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise ServiceError(f"the API server on {self._host}:{self._port} did not start within 10 s")
        if self._error is not None:
            why = "the port is in use (another node? pick one with --api-port)" if self._error.errno == errno.EADDRINUSE else self._error.strerror
            raise ServiceError(f"cannot serve the API on {self._host}:{self._port}: {why}")

    def stop(self) -> None:
        if self._error is None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread.is_alive():
            self._thread.join(10)


class NodeService:
    """A node following L1 in one thread and serving its API in another."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._stop = threading.Event()
        self._thread = threading.Thread(target=node.run, args=(self._stop,), name="clobnode-node", daemon=True)
        api_store = Store(node.config.store.path)
        context = ApiContext(
            engine=node.engine,
            store=api_store,
            chain_id=node.deployment.chain_id,
            inbox=bytes.fromhex(node.deployment.inbox[2:]),
            status=node.status,
            health=node.health.as_json,
            metrics=node.metrics,
            admission=Admission(node.engine, api_store, node.config.api.admission),
            limiter=RateLimiter(node.config.api.admission.rate_per_s, node.config.api.admission.burst),
            catalog=MarketCatalog(node.engine, node.l1),
            exits=Exits(node.l1, node.rollup, api_store, node.engine, node.deployment.deploy_block),
        )
        self.api = ApiServer(make_app(context), node.config.api.host, node.config.api.port)

    @property
    def api_url(self) -> str:
        return f"http://{self.node.config.api.host}:{self.api.port}"

    def start(self) -> None:
        kzg.start_worker()  # blob math off the GIL the API needs
        self.api.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self.api.stop()
        self.node.close()
        kzg.stop_worker()
