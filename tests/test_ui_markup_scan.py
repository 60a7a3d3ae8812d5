"""Every string the workbench hands to a Streamlit call that renders Markdown is a literal or comes
from ``ui.safe`` (an AST scan of ``app.py`` and ``ui/``).

Which calls interpret Markdown was measured in chromium (see ``tests/test_browser_markup.py``):
bodies of markdown/caption/write/alerts/toast/headings, every widget label and ``help=`` tooltip,
progress text, status/spinner/expander/popover/tab/dialog labels, metric label, value and delta,
badge labels, radio and select_slider options. Selectbox and multiselect options are plain text:
their ``format_func`` must return ``safe.text(...)`` (or a literal).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: ui/safe.py is the escaper itself (tests/test_ui_safe.py); everything else is scanned
SOURCES = [ROOT / "app.py", *sorted(p for p in (ROOT / "ui").rglob("*.py") if p.name != "safe.py")]

#: attribute name -> (positional indexes, keyword names) holding Markdown
BODY = {name: ((0,), ("body",)) for name in (
    "markdown", "caption", "error", "warning", "info", "success", "toast", "header", "subheader", "title",
)}  # fmt: skip
LABEL = {name: ((0,), ("label",)) for name in (
    "button", "download_button", "link_button", "form_submit_button", "checkbox", "toggle", "radio",
    "selectbox", "multiselect", "select_slider", "slider", "text_input", "text_area", "number_input",
    "date_input", "time_input", "datetime_input", "file_uploader", "color_picker", "camera_input",
    "audio_input", "pills", "segmented_control", "expander", "popover", "status", "spinner", "badge",
    "dialog", "feedback",
)}  # fmt: skip
OTHER = {
    "page_link": ((), ("label",)),
    "metric": ((0, 1, 2), ("label", "value", "delta")),
    "progress": ((1,), ("text",)),
    "tabs": ((0,), ("tabs",)),
    "update": ((), ("label",)),  # st.status(...).update(label=...)
}
SINKS = {**BODY, **LABEL, **OTHER}
#: options rendered as Markdown / as plain text (the values of format_func, or the options themselves)
MARKDOWN_OPTIONS = {"radio", "select_slider", "pills", "segmented_control"}
PLAIN_OPTIONS = {"selectbox", "multiselect"}
#: ui.safe functions whose result is safe Markdown, and the one for plain-text elements
SAFE_MD = {"md", "fmt", "link", "join", "code", "checked", "word"}
SAFE_TEXT = {"text", "lines"}
#: ui.fmt helpers that only ever return digits, punctuation and fixed words
TRUSTED_FORMATTERS = {"timecode", "span", "fmt_size", "size", "pct", "len"}
#: a format spec that raises for anything but a number (",", "_" or a numeric presentation type)
NUMERIC_SPEC = re.compile(r"^[<>=^]?[+\- ]?#?0?\d*([,_](\.\d+)?[bcdeEfFgGnoxX%]?|(\.\d+)?[bcdeEfFgGnoxX%])$")


@dataclass(frozen=True)
class Finding:
    where: str
    call: str
    arg: str

    def __str__(self) -> str:
        return f"{self.where}: {self.call}(... {self.arg} ...)"


class Checker:
    """Decides whether an expression can only produce literal or escaped text."""

    def __init__(
        self, safe_names: set[str], markdown_params: set[str], md_functions: set[str] = frozenset()
    ) -> None:
        self.safe_names = safe_names  # names imported from ui.safe (e.g. `from ..safe import md`)
        self.markdown_params = markdown_params  # parameters of the enclosing function annotated Markdown
        self.md_functions = md_functions  # "module.func" and local "func" of ours declared to return Md

    def _safe_call(self, node: ast.Call, allowed: set[str]) -> bool:
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "safe":
            return f.attr in allowed
        if isinstance(f, ast.Name) and f.id in self.safe_names:
            return f.id in allowed
        return False

    def ok(self, node: ast.AST | None, allowed: set[str] = SAFE_MD) -> bool:
        if node is None:
            return True
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self.ok(v, allowed) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            spec = node.format_spec
            if isinstance(spec, ast.JoinedStr) and len(spec.values) == 1:
                const = spec.values[0]
                if isinstance(const, ast.Constant) and NUMERIC_SPEC.match(str(const.value)):
                    return True  # a numeric format spec raises for anything but a number
            return node.conversion == -1 and spec is None and self.ok(node.value, allowed)
        if isinstance(node, ast.IfExp):
            return self.ok(node.body, allowed) and self.ok(node.orelse, allowed)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.ok(node.left, allowed) and self.ok(node.right, allowed)
        if isinstance(node, ast.BoolOp):
            return all(self.ok(v, allowed) for v in node.values)
        if isinstance(node, ast.Name):
            # module constants of ours (SAMPLE, MINE, ...) and parameters declared Markdown
            return node.id.isupper() or (allowed is SAFE_MD and node.id in self.markdown_params)
        if isinstance(node, ast.Subscript):
            return isinstance(node.value, ast.Name) and node.value.id.isupper()
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.ok(e, allowed) for e in node.elts)
        if isinstance(node, ast.Lambda):
            return self.ok(node.body, allowed)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.ok(node.elt, allowed)
        if isinstance(node, ast.Call):
            if self._safe_call(node, allowed):
                return True
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in TRUSTED_FORMATTERS:
                return True
            if allowed is SAFE_MD and _call_target(node, "") in self.md_functions:
                return True  # a function of ours declared `-> Md` (its returns are checked too)
            if name in ("list", "tuple", "sorted") and node.args:
                return all(self.ok(a, allowed) for a in node.args)
            if (  # a lookup in a constant table of ours: SEVERITY_ICON.get(key, default)
                isinstance(f, ast.Attribute)
                and f.attr == "get"
                and isinstance(f.value, ast.Name)
                and f.value.id.isupper()
                and all(self.ok(a, allowed) for a in node.args[1:])
            ):
                return True
            if (
                isinstance(f, ast.Attribute)
                and f.attr == "join"
                and isinstance(f.value, ast.Constant)
                and len(node.args) == 1
                and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp))
            ):
                return self.ok(node.args[0].elt, allowed)
        return False


def _call_target(node: ast.Call, module: str) -> str:
    """``"header.show"`` for ``header.show(...)``, ``"<module>.show"`` (or ``"show"``) for ``show(...)``."""
    f = node.func
    if isinstance(f, ast.Name):
        return f"{module}.{f.id}" if module else f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return ""


def _returns_md(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return node.returns is not None and ast.unparse(node.returns) in ("Md", "safe.Md")


def md_functions(sources: dict[str, str]) -> set[str]:
    """``"module.func"`` of every function of ours annotated ``-> Md`` (their returns are checked too)."""
    return {
        f"{module}.{node.name}"
        for module, source in sources.items()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _returns_md(node)
    }


def _receiver_is_st(node: ast.Call) -> bool:
    f = node.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "st"


def _checked_args(call: ast.Call, positions: tuple[int, ...], names: tuple[str, ...]) -> Iterator[ast.AST]:
    for i in positions:
        if i < len(call.args):
            arg = call.args[i]
            yield from (arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg])
    for kw in call.keywords:
        if kw.arg in names:
            yield kw.value


def _is_markdown_annotation(node: ast.AST | None) -> bool:
    text = ast.unparse(node) if node is not None else ""
    return text in ("Markdown", "safe.Markdown") or text.startswith(("Markdown |", "safe.Markdown |"))


def markdown_sinks(sources: dict[str, str]) -> dict[str, tuple[tuple[int, ...], tuple[str, ...]]]:
    """Functions of ours with parameters annotated ``Markdown``: ``"module.func" -> (positions, names)``."""
    out = {}
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [*node.args.posonlyargs, *node.args.args]
                positions = tuple(i for i, a in enumerate(params) if _is_markdown_annotation(a.annotation))
                names = tuple(
                    a.arg for a in (*params, *node.args.kwonlyargs) if _is_markdown_annotation(a.annotation)
                )
                if names:
                    out[f"{module}.{node.name}"] = (positions, names)
    return out


def scan_source(
    source: str,
    where: str,
    sinks: dict | None = None,
    module: str = "snippet",
    md_funcs: set[str] | None = None,
) -> list[Finding]:
    tree = ast.parse(source)
    own_sinks = sinks if sinks is not None else markdown_sinks({module: source})
    known_md = md_funcs if md_funcs is not None else md_functions({module: source})
    # calls inside this module name its functions bare: `_line(m)` is `module._line`
    known_md = known_md | {name.split(".", 1)[1] for name in known_md if name.startswith(f"{module}.")}
    safe_names = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("safe")
        for a in node.names
    }
    found: list[Finding] = []

    def flag(call: ast.Call, arg: ast.AST) -> None:
        found.append(Finding(f"{where}:{call.lineno}", ast.unparse(call.func), ast.unparse(arg)[:80]))

    def safe_locals(body: ast.AST, check: Checker) -> set[str]:
        """Names every binding of which (in this function) is a safe expression."""
        bindings: dict[str, list[ast.AST | None]] = {}
        for sub in ast.walk(body):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            bindings.setdefault(n.id, []).append(
                                sub.value if isinstance(t, ast.Name) else None
                            )
            elif isinstance(sub, (ast.AnnAssign, ast.AugAssign)) and isinstance(sub.target, ast.Name):
                bindings.setdefault(sub.target.id, []).append(
                    sub.value if isinstance(sub, ast.AnnAssign) else None
                )
            elif isinstance(sub, (ast.For, ast.comprehension, ast.With, ast.NamedExpr, ast.arg)):
                targets = (
                    [sub.target]
                    if isinstance(sub, (ast.For, ast.comprehension, ast.NamedExpr))
                    else [i.optional_vars for i in sub.items if i.optional_vars]
                    if isinstance(sub, ast.With)
                    else []
                )
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            bindings.setdefault(n.id, []).append(None)
        good: set[str] = set()
        while True:
            trial = Checker(safe_names, check.markdown_params | good, known_md)
            more = {n for n, values in bindings.items() if all(v is not None and trial.ok(v) for v in values)}
            if more <= good:
                return good
            good |= more

    def visit(node: ast.AST, check: Checker) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            declared = {
                a.arg
                for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
                if _is_markdown_annotation(getattr(a, "annotation", None))
            }
            shadowed = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - declared
            check = Checker(safe_names, (check.markdown_params - shadowed) | declared, known_md)
            if not isinstance(node, ast.Lambda):
                local = safe_locals(node, check)
                check = Checker(safe_names, check.markdown_params | local, known_md)
            if not isinstance(node, ast.Lambda) and _returns_md(node):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and not check.ok(sub.value):
                        found.append(
                            Finding(
                                f"{where}:{sub.lineno}",
                                f"return in {node.name} -> Md",
                                ast.unparse(sub.value)[:80],
                            )
                        )
        if isinstance(node, ast.Call):
            check_call(node, check)
        for child in ast.iter_child_nodes(node):
            visit(child, check)

    def check_call(node: ast.Call, check: Checker) -> None:
        f = node.func
        if isinstance(f, ast.IfExp):  # (st.warning if failed else st.success)(...)
            for branch in (f.body, f.orelse):
                check_call(
                    ast.Call(func=branch, args=node.args, keywords=node.keywords, lineno=node.lineno), check
                )
            return
        target = _call_target(node, module)
        if target.rsplit(".", 1)[-1] == "Md" and target in ("Md", f"{module}.Md", "safe.Md"):
            for arg in node.args:  # constructing Md by hand: only from literals and safe parts
                if not check.ok(arg):
                    flag(node, arg)
        if target in own_sinks:
            for arg in _checked_args(node, *own_sinks[target]):
                if not check.ok(arg):
                    flag(node, arg)
        if not isinstance(f, ast.Attribute):
            return
        attr = f.attr
        if attr == "write" and _receiver_is_st(node):
            for arg in node.args:
                if not check.ok(arg):
                    flag(node, arg)
            return
        if attr == "html" and _receiver_is_st(node):
            for arg in node.args:
                if not check.ok(arg, {"html", "html_table"}):
                    flag(node, arg)
            return
        for kw in node.keywords:
            if kw.arg == "unsafe_allow_html" and not (
                isinstance(kw.value, ast.Constant) and not kw.value.value
            ):
                flag(node, kw.value)
        if attr not in SINKS and not attr.endswith("Column"):
            return
        if attr == "update" and not any(kw.arg == "label" for kw in node.keywords):
            return
        positions, names = SINKS.get(attr, ((), ("label",)))  # column_config.*Column(label, help=...)
        for arg in _checked_args(node, positions, (*names, "help", "captions")):
            if not check.ok(arg):
                flag(node, arg)
        has_format_func = any(k.arg == "format_func" for k in node.keywords)
        for kw in node.keywords:
            if kw.arg == "format_func":
                allowed = SAFE_TEXT if attr in PLAIN_OPTIONS else SAFE_MD
                if not check.ok(kw.value, allowed):
                    flag(node, kw.value)
            if (
                kw.arg == "options"
                and attr in MARKDOWN_OPTIONS
                and not has_format_func
                and not check.ok(kw.value)
            ):
                flag(node, kw.value)
        if (
            attr in MARKDOWN_OPTIONS
            and len(node.args) > 1
            and not has_format_func
            and not check.ok(node.args[1])
        ):
            flag(node, node.args[1])

    visit(tree, Checker(safe_names, set(), known_md))
    return found


def _all_sources() -> dict[str, str]:
    return {path.stem: path.read_text() for path in SOURCES}


def test_no_untrusted_string_reaches_streamlit_as_markup() -> None:
    sources = _all_sources()
    sinks = markdown_sinks(sources)
    md_funcs = md_functions(sources)
    assert "header.show" in sinks  # the scan knows the components that render their arguments
    findings = [
        f
        for path in SOURCES
        for f in scan_source(path.read_text(), str(path.relative_to(ROOT)), sinks, path.stem, md_funcs)
    ]
    assert not findings, "untrusted text in a Markdown context (use ui.safe):\n" + "\n".join(
        map(str, findings)
    )


BAD = [
    "st.markdown(name)",
    "st.caption(f'Examining {loaded.name}')",
    "st.error(message(exc, 'x'))",
    "c[0].markdown('**' + title + '**')",
    "st.progress(0.5, text=f'Hashing {p.name}')",
    "bar.progress(0.5, text=label)",
    "st.status(f'Analysing {loaded.name}…')",
    "status.update(label=f'{loaded.name} read')",
    "st.expander(ref.title)",
    "st.tabs([name, 'b'])",
    "st.button('Open', help=path)",
    "st.metric('x', title)",
    "st.radio('x', options=titles)",
    "st.radio('x', options=[1], format_func=lambda i: refs[i].title)",
    "st.selectbox('x', [1], format_func=lambda i: f'#{i} {refs[i].title}')",
    "st.selectbox('x', [1], format_func=lambda i: safe.md(refs[i].title))",
    "st.caption(safe.text(name))",
    "st.write(name)",
    "st.html(body)",
    "st.markdown(x, unsafe_allow_html=True)",
    "st.success(', '.join(names))",
    "st.caption(f'{n!r}')",
    "st.caption(f'{n} files')",
    "st.caption(f'{name:.20}')",
    "st.dialog(f'Keyframe {name}')",
    "st.column_config.TextColumn(label, help=h)",
    "def show(title: Markdown):\n    st.header(title)\nshow(name)",
    "def show(title: str):\n    st.header(title)",
    "def show(title: Markdown):\n    f = lambda title: st.header(title)",
    "def line(m) -> Md:\n    return m.title\n",
    "def line(m):\n    return safe.md(m.title)\nst.markdown(line(m))",
    "safe.Md(title)",
    "x = Md(f'**{title}**')",
    "(st.warning if bad else st.success)(f'{name} done')",
    "def f(p):\n    name = safe.md(p.name)\n    if x:\n        name = p.name\n    st.caption(name)",
    "def f(rows):\n    for name in rows:\n        st.caption(name)",
    "st.tabs([f'{name} ({len(rows)})' for name, rows in tables.items()])",
    "st.caption(TABLE.get(key, name))",
]
GOOD = [
    "st.markdown('**Literal**')",
    'st.caption(f\'{n:d} file{"s" if n != 1 else ""}\')',
    "st.caption(f'{score:.2f} · {count:,} · {timecode(t)}')",
    "st.markdown(safe.fmt('Add **{}** to {}', loaded.name, library.label))",
    "st.error(safe.md(message(exc, 'x')))",
    "st.progress(0.5, text=f'Hashing {safe.md(p.name)}…')",
    "st.radio('x', options=(SAMPLE, MINE))",
    "st.selectbox('x', [1], format_func=lambda i: safe.text(refs[i].title))",
    "st.markdown(' · '.join(safe.md(t) for t in tags))",
    "st.html(safe.html(x))",
    "st.html(CSS)",
    "def show(title: Markdown, blurb: Markdown = ''):\n    st.header(title)\n    st.caption(blurb)\n"
    "show('Overview', blurb=safe.fmt('Active: {}', label))",
    "def line(m) -> Md:\n    if m.x:\n        return safe.md(m.title)\n    return safe.fmt('*{}*', m.t)\n"
    "st.markdown(f'- {line(m)}')",
    "safe.Md(f'speed {m.speed:.2f}× ({safe.word(m.crop)})')",
    "(st.warning if bad else st.success)(f'{n:d} done')",
    "def f(p):\n    name = safe.md(p.name, 120)\n    label = f'Hashing {name}'\n    st.progress(0.0, text=label)",
    "st.tabs([f'{safe.md(name)} ({len(rows)})' for name, rows in tables.items()])",
    "st.markdown(f\"{ICONS.get(s.severity, ':material/info:')} **{safe.md(s.title)}**\")",
]


@pytest.mark.parametrize("snippet", BAD)
def test_the_scan_catches_unsafe_calls(snippet: str) -> None:
    assert scan_source(snippet, "snippet"), snippet


@pytest.mark.parametrize("snippet", GOOD)
def test_the_scan_accepts_literals_and_escaped_text(snippet: str) -> None:
    assert not scan_source(snippet, "snippet"), snippet
