"""SOAP 1.1 on the simulator's side: namespaces, a parser that refuses DTDs and entities, envelopes and faults."""

from __future__ import annotations

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SSBTEK_NS = "urn:bistand:ssbtek:v1"
NAVET_NS = "urn:bistand:navet:v1"
MAX_REQUEST_BYTES = 64 * 1024
CONTENT_TYPE = "text/xml; charset=utf-8"

# No entity resolution, no DTD loading, no network; lxml's own limits on tree size stay on (huge_tree=False).
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)


class BadRequest(Exception):
    """The request is not one we answer: the caller gets a SOAP Fault (soap:Client)."""


def parse_body(raw: bytes) -> etree._Element:
    """The one element inside soap:Body. Any DTD (and so any entity declaration) is refused outright."""
    if len(raw) > MAX_REQUEST_BYTES:
        raise BadRequest("request too large")
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError:
        raise BadRequest("not well-formed XML") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise BadRequest("DTDs are not accepted")
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise BadRequest("not a SOAP 1.1 envelope")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) != 1:
        raise BadRequest("soap:Body must hold exactly one element")
    return body[0]


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    etree.SubElement(env, f"{{{SOAP_NS}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault; ``code`` is Client (the caller's mistake) or Server."""
    f = etree.Element(f"{{{SOAP_NS}}}Fault")
    etree.SubElement(f, "faultcode").text = f"soap:{code}"
    etree.SubElement(f, "faultstring").text = message
    return envelope(f)


def sub(parent: etree._Element, ns: str, tag: str, text: object | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def text_of(parent: etree._Element, ns: str, tag: str, *, required: bool = True) -> str | None:
    element = parent.find(f"{{{ns}}}{tag}")
    value = element.text.strip() if element is not None and element.text else None
    if required and not value:
        raise BadRequest(f"{tag} is required")
    return value
