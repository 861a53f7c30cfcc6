"""SOAP 1.1 over HTTPS for the register adapters: envelopes, one call with retries on transient failures only,
and a parser that never resolves entities, loads DTDs or touches the network.

Failures come out as two exceptions with stable codes: ``CallFailed`` (no usable answer: time-out, refused,
5xx, TLS, malformed) and ``SoapFault`` (the register answered that our request was wrong, or that it failed;
never retried: asking again gets the same fault).
"""

from __future__ import annotations

import contextlib
import ssl

import aiohttp
from lxml import etree
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_none

from services.registers.integration.sources import Connection
from services.registers.integration.tls import ssl_context

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_ANSWER_BYTES = 4 * 1024 * 1024
TRANSIENT_STATUSES = frozenset({502, 503, 504})

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


class CallFailed(Exception):
    """No usable answer. ``code``: timeout, unreachable, tls_error, connection_error, service_unavailable,
    http_error, malformed_answer."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SoapFault(Exception):
    """The register answered with a SOAP Fault; ``fault_code`` is its faultcode without prefix (Client, Server)."""

    def __init__(self, fault_code: str) -> None:
        super().__init__(fault_code)
        self.fault_code = fault_code


class _Transient(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    etree.SubElement(env, f"{{{SOAP_NS}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def parse_answer(raw: bytes) -> etree._Element:
    """The element inside soap:Body; raises SoapFault for a Fault, CallFailed("malformed_answer") for anything
    that is not a plain SOAP 1.1 envelope (a DTD or entity declaration included)."""
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError:
        raise CallFailed("malformed_answer") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or root.tag != f"{{{SOAP_NS}}}Envelope":
        raise CallFailed("malformed_answer")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) != 1:
        raise CallFailed("malformed_answer")
    payload = body[0]
    if payload.tag == f"{{{SOAP_NS}}}Fault":
        code = (payload.findtext("faultcode") or "").strip()
        raise SoapFault(code.rsplit(":", 1)[-1] or "Server")
    return payload


def _tls_failure(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError | aiohttp.ClientSSLError):
            return True
        wrapped = getattr(cause, "os_error", None)  # aiohttp's connector errors carry the OSError they wrap
        if isinstance(wrapped, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


class Http:
    """The pooled HTTPS client of one adapter: aiohttp with the connection's TLS (mutual when configured) and
    time-outs, made in the running loop at the first call and kept (keep-alive: the TLS handshake is paid per
    connection, not per call). aiohttp rather than httpx: httpx's pool cost several times the CPU per call here,
    with a proposal's look-ups many at once (bench/proposal_cpu.py)."""

    def __init__(self, context: ssl.SSLContext, timeout_seconds: float) -> None:
        self.context = context
        # As httpx.Timeout(t) did: t for getting a connection, connecting, and each read; no overall limit.
        self.timeout = aiohttp.ClientTimeout(total=None, connect=timeout_seconds, sock_connect=timeout_seconds,
                                             sock_read=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the register client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.context, limit=100), timeout=self.timeout,
                auto_decompress=False)
        return self._session

    @property
    def is_closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()


class SoapClient:
    """One SOAP endpoint. Retries connection failures and 502/503/504 (nothing reached the register, or a
    gateway in front of it said so), with exponential back-off; never a time-out or a fault."""

    def __init__(self, url: str, http: Http, *, retries: int, backoff_seconds: float) -> None:
        self.url = url
        self.http = http
        self.retries = max(0, retries)
        self.backoff_seconds = backoff_seconds

    async def call(self, payload: etree._Element, action: str) -> etree._Element:
        body = envelope(payload)
        wait = wait_exponential(multiplier=self.backoff_seconds, max=2.0) if self.backoff_seconds > 0 else wait_none()
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(self.retries + 1), wait=wait,
                                               retry=retry_if_exception_type(_Transient), reraise=True):
                with attempt:
                    raw = await self._post(body, action)
        except _Transient as e:
            raise CallFailed(e.code) from None
        return parse_answer(raw)

    async def _post(self, body: bytes, action: str) -> bytes:
        headers = {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{action}"'}
        try:
            async with self.http.session().post(self.url, data=body, headers=headers,
                                                allow_redirects=False) as response:
                if response.status in TRANSIENT_STATUSES:
                    raise _Transient("service_unavailable")
                chunks, size = [], 0
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        raise CallFailed("malformed_answer")
                    chunks.append(chunk)
                raw = b"".join(chunks)
                # SOAP 1.1 sends a Fault with HTTP 500; anything else but 200 has no answer for us.
                if response.status == 500:
                    with contextlib.suppress(CallFailed):
                        parse_answer(raw)  # raises SoapFault when it is one
                    raise CallFailed("http_error")
                if response.status != 200:
                    raise CallFailed("http_error")
                return raw
        except aiohttp.ConnectionTimeoutError:
            raise _Transient("timeout") from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise CallFailed("timeout") from None
        except aiohttp.ClientConnectorError as e:
            if _tls_failure(e):
                raise CallFailed("tls_error") from None
            raise _Transient("unreachable") from None
        except (aiohttp.ClientError, OSError) as e:
            # Includes the server refusing our certificate after a TLS 1.3 handshake (an alert on first read).
            raise CallFailed("tls_error" if _tls_failure(e) else "connection_error") from None


def text(parent: etree._Element, ns: str, tag: str) -> str | None:
    element = parent.find(f"{{{ns}}}{tag}")
    return element.text.strip() if element is not None and element.text and element.text.strip() else None


def sub(parent: etree._Element, ns: str, tag: str, value: object | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if value is not None:
        element.text = str(value)
    return element


class SoapRegister:
    """What every register adapter holds: its HTTPS client (its own, made from the connection's TLS and time-out,
    unless one is given: then closing it is the giver's business) and a SOAP client for its endpoint."""

    def __init__(self, connection: Connection, url: str, http: Http | None) -> None:
        self.connection = connection
        self._own_http = http is None
        self.http = http or Http(ssl_context(connection), connection.timeout_seconds)
        self.soap = SoapClient(url, self.http, retries=connection.retries,
                               backoff_seconds=connection.retry_backoff_seconds)

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()
