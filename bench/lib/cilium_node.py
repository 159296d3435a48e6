"""The admin's view of CiliumNode node1 on the kube-apiserver that
bench/lib/kube_apiserver_env.sh started in TMP: a small HTTPS client and a
poll for the service's label, shared by the bench drivers."""
import http.client
import json
import ssl
import time

KEY = "kubernetes.azure.com/user-iptables-rules"
PATH = "/apis/cilium.io/v2/ciliumnodes"


class CiliumNode:
    def __init__(self, tmp):
        self._ctx = ssl.create_default_context(cafile=f"{tmp}/pki/ca.crt")
        self._ctx.load_cert_chain(f"{tmp}/pki/admin.crt", f"{tmp}/pki/admin.key")
        self._conn = None

    def call(self, method, path, body=None, ctype="application/json"):
        """(status, decoded JSON or None); one reconnect if the connection dropped."""
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPSConnection("127.0.0.1", 6443, context=self._ctx,
                                                         timeout=10)
            try:
                self._conn.request(method, path,
                                   body=json.dumps(body) if body is not None else None,
                                   headers={"Content-Type": ctype})
                r = self._conn.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else None)
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if attempt:
                    raise

    def label(self):
        """The label's value on node1, or None (no label, or no CiliumNode)."""
        status, obj = self.call("GET", PATH + "/node1")
        if status != 200:
            return None
        return (obj["metadata"].get("labels") or {}).get(KEY)

    def until_label(self, value, timeout=60, since=None, every=0.005):
        """Polls every `every` s until the label is `value`; returns the seconds
        from `since` (time.monotonic(); default: now). Exits on timeout."""
        t0 = time.monotonic() if since is None else since
        while time.monotonic() - t0 < timeout:
            if self.label() == value:
                return time.monotonic() - t0
            time.sleep(every)
        raise SystemExit(f"label not {value} within {timeout} s")
