"""The compiled type graph and the strict validator of each format version, loaded once from ``xsd/``.

The graph is read from the generated XSDs (``kassa_server._xsd``), which use a small subset of XSD: named and
anonymous ``complexType`` with one ``sequence`` or ``choice`` (possibly inside ``complexContent/extension``),
``simpleType`` restrictions, unions and lists. Wildcards are skipped in the graph and removed from the validator
(``xsd/README.md``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

from lxml import etree

from .versions import HEADER_NS, SUPPORTED_VERSIONS, XS_NS, namespace
from .xmlsafe import safe_parser
from .xsdgen import HEADER_XSD, xsd_file_name

XS = f"{{{XS_NS}}}"
WILDCARDS = (XS + "any", XS + "anyAttribute")


@dataclass(slots=True)
class SimpleType:
    name: str | None
    primitive: str  # local name of the xs: primitive at the root of the restriction chain ("string", "decimal", …)
    enumeration: frozenset[str] | None = None
    fraction_digits: int | None = None


@dataclass(slots=True)
class Element:
    name: str
    qname: str  # Clark notation
    type_name: str | None  # Clark notation of a named type
    inline: ComplexType | SimpleType | None
    min_occurs: int
    max_occurs: int | None  # None = unbounded
    nillable: bool


@dataclass(slots=True)
class ComplexType:
    name: str | None
    choice: bool
    elements: list[Element] = field(default_factory=list)
    by_name: dict[str, Element] = field(default_factory=dict)


class TypeGraph:
    """Named types of one version (its own namespace plus the header namespace), resolved on demand."""

    def __init__(self, version: str, roots: list[etree._Element]) -> None:
        self.version = version
        self.namespace = namespace(version) if version != "header" else HEADER_NS
        self._nodes: dict[str, etree._Element] = {}
        self._types: dict[str, ComplexType | SimpleType] = {}
        self.elements: dict[str, str] = {}  # global element local name -> type (Clark), own namespace
        for root in roots:
            tns = root.get("targetNamespace") or ""
            for child in root.iterchildren(XS + "complexType", XS + "simpleType"):
                self._nodes[f"{{{tns}}}{child.get('name')}"] = child
            if tns == self.namespace:
                for child in root.iterchildren(XS + "element"):
                    self.elements[child.get("name") or ""] = _resolve_qname(child, child.get("type") or "")

    def type(self, clark: str) -> ComplexType | SimpleType:
        found = self._types.get(clark)
        if found is None:
            if clark.startswith(f"{{{XS_NS}}}"):
                found = SimpleType(clark, clark.split("}")[1])
            else:
                node = self._nodes[clark]
                found = self._compile(node, clark)
            self._types[clark] = found
        return found

    def complex(self, clark: str) -> ComplexType:
        found = self.type(clark)
        assert isinstance(found, ComplexType), clark
        return found

    def element_type(self, element: Element) -> ComplexType | SimpleType:
        if element.inline is not None:
            return element.inline
        assert element.type_name is not None
        return self.type(element.type_name)

    def object_type(self, local_name: str) -> ComplexType | None:
        clark = self.elements.get(local_name)
        return None if clark is None else self.complex(clark)

    def _compile(self, node: etree._Element, name: str | None) -> ComplexType | SimpleType:
        if node.tag == XS + "simpleType":
            return self._simple(node, name)
        result = ComplexType(name, choice=False)
        group_owner = node
        content = node.find(XS + "complexContent")
        if content is not None:
            extension = content[0]
            base = self.complex(_resolve_qname(extension, extension.get("base") or ""))
            result.elements.extend(base.elements)
            group_owner = extension
        for group in group_owner.iterchildren(XS + "sequence", XS + "choice"):
            result.choice = group.tag == XS + "choice"
            tns = self._tns(node)
            for child in group.iterchildren(XS + "element"):
                result.elements.append(self._element(child, tns))
        result.by_name = {e.name: e for e in result.elements}
        return result

    def _tns(self, node: etree._Element) -> str:
        return node.getroottree().getroot().get("targetNamespace") or ""

    def _element(self, node: etree._Element, tns: str) -> Element:
        type_attr = node.get("type")
        inline: ComplexType | SimpleType | None = None
        if type_attr is None:
            inner = node[0]
            inline = self._compile(inner, None)
        max_occurs = node.get("maxOccurs", "1")
        return Element(
            name=node.get("name") or "",
            qname=f"{{{tns}}}{node.get('name')}",
            type_name=_resolve_qname(node, type_attr) if type_attr else None,
            inline=inline,
            min_occurs=int(node.get("minOccurs", "1")),
            max_occurs=None if max_occurs == "unbounded" else int(max_occurs),
            nillable=node.get("nillable") == "true",
        )

    def _simple(self, node: etree._Element, name: str | None) -> SimpleType:
        restriction = node.find(XS + "restriction")
        if restriction is None:  # union or list: treat as a string
            return SimpleType(name, "string")
        base = self.type(_resolve_qname(restriction, restriction.get("base") or ""))
        assert isinstance(base, SimpleType)
        values = [e.get("value") or "" for e in restriction.iterchildren(XS + "enumeration")]
        fraction = restriction.find(XS + "fractionDigits")
        return SimpleType(
            name,
            base.primitive,
            frozenset(values) if values else base.enumeration,
            int(fraction.get("value") or 0) if fraction is not None else base.fraction_digits,
        )


def _resolve_qname(node: etree._Element, qname: str) -> str:
    prefix, _, local = qname.rpartition(":")
    return f"{{{node.nsmap[prefix or None]}}}{local}"


def xsd_bytes(file_name: str) -> bytes:
    return resources.files("kassa_server._xsd").joinpath(file_name).read_bytes()


def _schema_root(file_name: str, strict: bool) -> etree._Element:
    root = etree.fromstring(xsd_bytes(file_name), safe_parser())
    if strict:
        for wildcard in list(root.iter(*WILDCARDS)):
            parent = wildcard.getparent()
            assert parent is not None
            parent.remove(wildcard)
    return root


@functools.cache
def type_graph(version: str) -> TypeGraph:
    """The type graph of ``version`` (``"header"`` for the ExchangeMessage package)."""
    header = _schema_root(HEADER_XSD, strict=False)
    if version == "header":
        return TypeGraph(version, [header])
    if version not in SUPPORTED_VERSIONS:
        raise KeyError(version)
    return TypeGraph(version, [_schema_root(xsd_file_name(version), strict=False), header])


class _StrictHeaderResolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        if system_url and system_url.endswith(HEADER_XSD):
            return self.resolve_string(etree.tostring(_schema_root(HEADER_XSD, strict=True)), context)
        return None


@functools.cache
def validator(version: str) -> etree.XMLSchema:
    """The strict (wildcard-free) XMLSchema of ``version`` or of ``"header"``."""
    if version == "header":
        return etree.XMLSchema(_schema_root(HEADER_XSD, strict=True))
    parser = safe_parser()
    parser.resolvers.add(_StrictHeaderResolver())
    source = etree.tostring(_schema_root(xsd_file_name(version), strict=True))
    root = etree.fromstring(source, parser, base_url=f"strict/{xsd_file_name(version)}")
    return etree.XMLSchema(root)


@functools.cache
def fragment_validator(version: str) -> etree.XMLSchema:
    """The strict schema of ``version`` plus a global element for every named complex type that has none (named
    after the type), so that a part of an object, such as one row of a huge table, can be validated on its own by
    giving its element the type's name."""
    parser = safe_parser()
    parser.resolvers.add(_StrictHeaderResolver())
    root = _schema_root(xsd_file_name(version), strict=True)
    declared = {e.get("name") for e in root.iterchildren(XS + "element")}
    for complex_type in list(root.iterchildren(XS + "complexType")):
        name = complex_type.get("name")
        if name and name not in declared:
            etree.SubElement(root, XS + "element", name=name, type=f"tns:{name}")
    source = etree.tostring(root)
    return etree.XMLSchema(etree.fromstring(source, parser, base_url=f"strict/{xsd_file_name(version)}"))


def schema_files(version: str) -> dict[str, bytes]:
    """The XSDs of ``version`` for people and other tools, by relative file name.

    * ``ExchangeMessage.xsd``, ``EnterpriseData_<v>.xsd``: as shipped in ``xsd/``, faithful to 1C's packages (with
      their lax wildcards, which XSD 1.0 processors refuse: "content model is not determinist").
    * ``strict/``: the same without the wildcards, which libxml2 (lxml, xmllint) compiles; plus
      ``strict/Message_<v>.xsd`` for a whole message (``Message`` → ``msg:Header``, then an optional ``Body`` of
      any objects of the version, declared in ``strict/Body_<v>.xsd``), so
      ``xmllint --schema strict/Message_1_21.xsd message.xml`` checks a message end to end.
    """
    if version not in SUPPORTED_VERSIONS:
        raise KeyError(version)
    ed_file = xsd_file_name(version)
    body_file, message_file = f"Body_{ed_file.split('_', 1)[1]}", f"Message_{ed_file.split('_', 1)[1]}"
    files = {HEADER_XSD: xsd_bytes(HEADER_XSD), ed_file: xsd_bytes(ed_file)}
    for name in (HEADER_XSD, ed_file):
        files[f"strict/{name}"] = _serialize(_schema_root(name, strict=True))
    ns = namespace(version)
    ed_root = _schema_root(ed_file, strict=True)
    body = etree.Element(XS + "schema", nsmap={"xs": XS_NS, "tns": ns},
                         targetNamespace=ns, elementFormDefault="qualified")  # fmt: skip
    etree.SubElement(body, XS + "include", schemaLocation=ed_file)
    content = etree.SubElement(etree.SubElement(etree.SubElement(body, XS + "element", name="Body"),
                                                XS + "complexType"), XS + "choice", minOccurs="0",
                               maxOccurs="unbounded")  # fmt: skip
    for element in ed_root.iterchildren(XS + "element"):
        etree.SubElement(content, XS + "element", ref=f"tns:{element.get('name')}")
    files[f"strict/{body_file}"] = _serialize(body)
    message = etree.Element(XS + "schema", nsmap={"xs": XS_NS, "msg": HEADER_NS, "ed": ns})
    etree.SubElement(message, XS + "import", namespace=HEADER_NS, schemaLocation=HEADER_XSD)
    etree.SubElement(message, XS + "import", namespace=ns, schemaLocation=body_file)
    sequence = etree.SubElement(etree.SubElement(etree.SubElement(message, XS + "element", name="Message"),
                                                 XS + "complexType"), XS + "sequence")  # fmt: skip
    etree.SubElement(sequence, XS + "element", ref="msg:Header")
    etree.SubElement(sequence, XS + "element", ref="ed:Body", minOccurs="0")
    files[f"strict/{message_file}"] = _serialize(message)
    return files


def _serialize(root: etree._Element) -> bytes:
    tree = etree.ElementTree(root)
    etree.indent(tree, space="\t")
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n"
