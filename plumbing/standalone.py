"""Standalone RPC proxies (the gateway's pool, operators' sessions): nameko's ClusterRpcProxy with
a reply queue only its principal can read (plumbing.entrypoints PrivateReplies) and our request
options (transient, naming the publisher: plumbing.entrypoints rpc_request_options)."""

from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy, SingleThreadedReplyListener

from plumbing.entrypoints import PrivateReplies, rpc_request_options


class PrivateReplyListener(PrivateReplies, SingleThreadedReplyListener):
    pass


class _ClusterProxy(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, **options):
        super().__init__(worker_ctx, reply_listener)
        self._options = {**rpc_request_options(worker_ctx.container.config), **options}

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(self._worker_ctx, name, self._reply_listener, **self._options)
        return self._proxies[name]


class StandaloneRpcProxy(ClusterRpcProxy):
    """`with StandaloneRpcProxy(config, context_data, timeout) as rpc: rpc.orders.get_order(...)`.
    `options`: more publishing options of its requests (e.g. a retry policy)."""

    def __init__(self, config, context_data=None, timeout=None, reply_listener_cls=PrivateReplyListener, **options):
        super().__init__(config, context_data=context_data, timeout=timeout, reply_listener_cls=reply_listener_cls)
        # nameko 2.14's ClusterRpcProxy builds its private `_proxy` without request options and
        # takes none; ours, built before start(), sends every request with them.
        self._proxy = _ClusterProxy(self._worker_ctx, self._reply_listener, **options)
