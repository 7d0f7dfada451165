"""Extract symbol definitions (functions, classes, methods, types…) from source with tree-sitter.

Grammars come from the single-language wheels (``tree-sitter-python``, …): they bundle compiled
parsers, so nothing is downloaded at run time. Each language has one compact query whose
patterns capture a definition node as ``@def.<kind>`` and its name as ``@name``; containers are
then derived from how definitions nest, which keeps the queries short and the rules uniform:

* a function directly inside a class-like definition is a method;
* a constant inside a function is a local and is dropped;
* ``@scope`` marks a container that is not itself a symbol (a Rust ``impl`` block);
* ``@declarator`` hands a C/C++ declarator to Python, which finds the name (and the
  ``Class::`` scope of an out-of-class method); ``@receiver`` gives a Go method its type.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import tree_sitter

MAX_SOURCE_BYTES = 1024 * 1024  # larger files are skipped: mostly generated or minified


class SymbolKind(StrEnum):
    FUNCTION = "function"
    METHOD = "method"
    CLASS = "class"
    INTERFACE = "interface"
    STRUCT = "struct"
    ENUM = "enum"
    TRAIT = "trait"
    MODULE = "module"
    TYPE = "type"
    CONSTANT = "constant"
    MACRO = "macro"


@dataclass(frozen=True)
class ExtractedSymbol:
    name: str
    kind: SymbolKind
    line: int  # 1-based line of the definition's first line (decorators excluded)
    end_line: int
    container: str | None = None  # name of the enclosing class, module, impl, function…


@dataclass(frozen=True)
class _Grammar:
    module: str
    factory: str
    query: str
    method_parents: frozenset[str] = frozenset({"class", "struct", "interface", "trait", "enum", "impl"})


_JS_FUNCTIONS = """
[(class_declaration name: (_) @name) (class name: (_) @name)] @def.class
(method_definition name: (_) @name) @def.function
[(function_declaration name: (identifier) @name)
 (generator_function_declaration name: (identifier) @name)] @def.function
(variable_declarator name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @def.function
((variable_declarator name: (identifier) @name) @def.constant (#match? @name "^[A-Z][A-Z0-9_]*$"))
"""
_TS_TYPES = """
(abstract_class_declaration name: (_) @name) @def.class
(interface_declaration name: (_) @name) @def.interface
(type_alias_declaration name: (_) @name) @def.type
(enum_declaration name: (_) @name) @def.enum
[(internal_module name: (_) @name) (module name: (_) @name)] @def.module
[(method_signature name: (_) @name) (abstract_method_signature name: (_) @name)
 (function_signature name: (_) @name)] @def.function
"""
_C_COMMON = """
(function_definition declarator: (_) @declarator) @def.function
(struct_specifier name: (_) @name body: (_)) @def.struct
(union_specifier name: (_) @name body: (_)) @def.struct
(enum_specifier name: (_) @name body: (_)) @def.enum
(type_definition declarator: (type_identifier) @name) @def.type
(preproc_def name: (identifier) @name value: (_)) @def.constant
(preproc_function_def name: (identifier) @name) @def.macro
"""

_GRAMMARS: dict[str, _Grammar] = {
    "Python": _Grammar("tree_sitter_python", "language", """
(class_definition name: (identifier) @name) @def.class
(function_definition name: (identifier) @name) @def.function
(module (expression_statement (assignment left: (identifier) @name)) @def.constant
  (#match? @name "^[A-Z][A-Z0-9_]*$"))
"""),
    "JavaScript": _Grammar("tree_sitter_javascript", "language", _JS_FUNCTIONS),
    "TypeScript": _Grammar("tree_sitter_typescript", "language_typescript", _JS_FUNCTIONS + _TS_TYPES),
    "TSX": _Grammar("tree_sitter_typescript", "language_tsx", _JS_FUNCTIONS + _TS_TYPES),
    "Java": _Grammar("tree_sitter_java", "language", """
[(class_declaration name: (identifier) @name) (record_declaration name: (identifier) @name)] @def.class
[(interface_declaration name: (identifier) @name)
 (annotation_type_declaration name: (identifier) @name)] @def.interface
(enum_declaration name: (identifier) @name) @def.enum
[(method_declaration name: (identifier) @name)
 (constructor_declaration name: (identifier) @name)] @def.method
((field_declaration (modifiers) @mods declarator: (variable_declarator name: (identifier) @name))
  @def.constant (#match? @mods "static") (#match? @mods "final"))
"""),
    "Go": _Grammar("tree_sitter_go", "language", """
(function_declaration name: (identifier) @name) @def.function
(method_declaration receiver: (parameter_list (parameter_declaration type: (_) @receiver))
  name: (field_identifier) @name) @def.method
(method_elem name: (field_identifier) @name) @def.method
(type_spec name: (type_identifier) @name type: (struct_type)) @def.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @def.interface
(type_spec name: (type_identifier) @name) @def.type
(type_alias name: (type_identifier) @name) @def.type
(source_file (const_declaration (const_spec name: (identifier) @name) @def.constant))
"""),
    "Rust": _Grammar("tree_sitter_rust", "language", """
[(struct_item name: (type_identifier) @name) (union_item name: (type_identifier) @name)] @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(trait_item name: (type_identifier) @name) @def.trait
(impl_item type: (_) @name) @scope
[(function_item name: (identifier) @name)
 (function_signature_item name: (identifier) @name)] @def.function
(mod_item name: (identifier) @name) @def.module
(type_item name: (type_identifier) @name) @def.type
[(const_item name: (identifier) @name) (static_item name: (identifier) @name)] @def.constant
(macro_definition name: (identifier) @name) @def.macro
"""),
    "C": _Grammar("tree_sitter_c", "language", _C_COMMON),
    "C++": _Grammar("tree_sitter_cpp", "language", _C_COMMON + """
(class_specifier name: (_) @name body: (_)) @def.class
(namespace_definition name: (_) @name) @def.module
(alias_declaration name: (type_identifier) @name) @def.type
(field_declaration_list
  [(field_declaration declarator: (_) @declarator) (declaration declarator: (_) @declarator)]
  @def.function)
"""),
    "C#": _Grammar("tree_sitter_c_sharp", "language", """
[(namespace_declaration name: (_) @name)
 (file_scoped_namespace_declaration name: (_) @name)] @def.module
[(class_declaration name: (identifier) @name) (record_declaration name: (identifier) @name)] @def.class
(interface_declaration name: (identifier) @name) @def.interface
(struct_declaration name: (identifier) @name) @def.struct
(enum_declaration name: (identifier) @name) @def.enum
[(method_declaration name: (identifier) @name)
 (constructor_declaration name: (identifier) @name)] @def.method
(delegate_declaration name: (identifier) @name) @def.type
((field_declaration (modifier) @mod
  (variable_declaration (variable_declarator name: (identifier) @name))) @def.constant
  (#eq? @mod "const"))
"""),
    "Ruby": _Grammar("tree_sitter_ruby", "language", """
(module name: [(constant) @name (scope_resolution name: (_) @name)]) @def.module
(class name: [(constant) @name (scope_resolution name: (_) @name)]) @def.class
(method name: (_) @name) @def.function
(singleton_method name: (_) @name) @def.method
(assignment left: (constant) @name) @def.constant
""", method_parents=frozenset({"class", "module"})),
    "PHP": _Grammar("tree_sitter_php", "language_php", """
(namespace_definition name: (namespace_name) @name) @def.module
(interface_declaration name: (name) @name) @def.interface
(trait_declaration name: (name) @name) @def.trait
(class_declaration name: (name) @name) @def.class
(enum_declaration name: (name) @name) @def.enum
(function_definition name: (name) @name) @def.function
(method_declaration name: (name) @name) @def.method
(const_declaration (const_element (name) @name)) @def.constant
"""),
}

SUPPORTED_LANGUAGES = frozenset(_GRAMMARS)
_CONTAINERS = frozenset({"class", "struct", "interface", "trait", "enum", "module", "impl", "function", "method"})
# When two patterns capture the same node (a JS const holding an arrow function, a Go struct
# that is also a type_spec), the more specific kind wins.
_RANK = {"constant": 0, "type": 0, "function": 1}


@functools.cache
def extractor_version() -> str:
    """Changes whenever extraction could give other symbols for the same source: the queries, the
    rules in this module or a grammar package's version. Symbols kept from an earlier build are
    only reused under the same version."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for module in sorted({grammar.module for grammar in _GRAMMARS.values()} | {"tree_sitter"}):
        try:
            digest.update(f"{module}={version(module.replace('_', '-'))}".encode())
        except PackageNotFoundError:
            digest.update(module.encode())
    return digest.hexdigest()[:16]


@functools.cache
def _compiled(language: str) -> tuple[tree_sitter.Language, tree_sitter.Query]:
    grammar = _GRAMMARS[language]
    module = importlib.import_module(grammar.module)
    ts_language = tree_sitter.Language(getattr(module, grammar.factory)())
    return ts_language, tree_sitter.Query(ts_language, grammar.query)


def extract_symbols(
    language: str | None, source: bytes, *, max_bytes: int = MAX_SOURCE_BYTES
) -> list[ExtractedSymbol]:
    """Definitions in ``source``, in document order; [] for unsupported or oversized input."""
    if language not in _GRAMMARS or not source or len(source) > max_bytes:
        return []
    ts_language, query = _compiled(language)
    tree = tree_sitter.Parser(ts_language).parse(source)
    found: dict[tuple[int, int, str], _Found] = {}
    for _pattern, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        item = _found(captures)
        if item is None:
            continue
        key = (item.start, item.end, item.name)
        previous = found.get(key)
        if previous is None or _RANK.get(previous.kind, 2) < _RANK.get(item.kind, 2):
            found[key] = item
    return _nest(sorted(found.values(), key=lambda f: (f.start, -f.end)), _GRAMMARS[language])


@dataclass
class _Found:
    start: int
    end: int
    line: int
    end_line: int
    name: str
    kind: str  # a SymbolKind, or "impl" for a container that is not a symbol
    container: str | None = None


def _found(captures: dict[str, list[tree_sitter.Node]]) -> _Found | None:
    definition = next((k for k in captures if k.startswith("def.") or k == "scope"), None)
    if definition is None:
        return None
    kind, node = definition, captures[definition][0]
    container = None
    if "declarator" in captures:
        resolved = _declarator_name(captures["declarator"][0])
        if resolved is None:
            return None  # a data member or variable, not a function
        name, container = resolved
    elif "name" in captures:
        name = _text(captures["name"][0])
    else:
        return None
    if kind == "scope":
        name = _type_name(name)
    if "receiver" in captures:
        container = _type_name(_text(captures["receiver"][0]).lstrip("*&"))
    name = name.strip("'\"`")  # TypeScript: declare module "foo"
    return _Found(
        start=node.start_byte,
        end=node.end_byte,
        line=node.start_point[0] + 1,
        # A node that ends with its newline (a #define) ends on the line before.
        end_line=max(node.start_point[0], node.end_point[0] - (node.end_point[1] == 0)) + 1,
        name=name,
        kind="impl" if kind == "scope" else kind.removeprefix("def."),
        container=container,
    )


def _nest(items: list[_Found], grammar: _Grammar) -> list[ExtractedSymbol]:
    symbols: list[ExtractedSymbol] = []
    stack: list[_Found] = []
    for item in items:
        while stack and stack[-1].end <= item.start:
            stack.pop()
        parent = stack[-1] if stack else None
        kind = item.kind
        if kind == "function" and (item.container or (parent and parent.kind in grammar.method_parents)):
            kind = "method"
        if kind == "constant" and parent and parent.kind in ("function", "method"):
            continue  # a local, not part of the file's interface
        if kind in _CONTAINERS:
            stack.append(_Found(item.start, item.end, item.line, item.end_line, item.name, kind))
        if kind != "impl":
            container = item.container or (parent.name if parent else None)
            symbols.append(ExtractedSymbol(item.name, SymbolKind(kind), item.line, item.end_line, container))
    return symbols


def _declarator_name(node: tree_sitter.Node) -> tuple[str, str | None] | None:
    """The function name (and Class:: scope) inside a C/C++ declarator, if it declares one."""
    current: tree_sitter.Node | None = node
    while current is not None and current.type != "function_declarator":
        current = current.child_by_field_name("declarator")
    if current is None:
        return None
    target = current.child_by_field_name("declarator")
    scopes = []
    while target is not None and target.type == "qualified_identifier":
        scope = target.child_by_field_name("scope")
        if scope is not None:
            scopes.append(_text(scope))
        target = target.child_by_field_name("name")
    if target is None:
        return None
    return _text(target), "::".join(scopes) or None


def _type_name(text: str) -> str:
    """`Foo<T>` / `crate::Foo` / `List[T]` -> `Foo`: the name a container is known by."""
    base = text.split("<", 1)[0].split("[", 1)[0]
    return base.rsplit("::", 1)[-1].strip()


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
