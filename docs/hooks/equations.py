"""MkDocs hook: link every equation of the docs to the lines of ``rnn_ref`` that compute it.

A comment in ``rnn_ref`` tags the statement it ends, or the statement right below it, with
the equations that statement computes: ``# (9) delta_t = ...`` or ``# (1) ...;  (2) ...``
(a label in parentheses at the start of the comment or after a ``;``). This hook

- generates ``source/<module>.md``: each module's code, with an anchor on every line, and
  a style that highlights the lines a link lands on (the whole tagged range, not only the
  anchored first line);
- replaces ``{{ code: 9 }}`` in a page by links to every statement tagged (9), and stops
  the build if there is none, so a link cannot point at code that moved or vanished.

Consecutive statements tagged with the same equation are one range: a statement that only
finishes an equation (``E *= dphi  # (W2) ...`` after the product) is linked with it.
"""

from __future__ import annotations

import ast
import io
import posixpath
import re
import tokenize
from dataclasses import dataclass, replace
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

PACKAGE = Path(__file__).resolve().parents[2] / "rnn_ref"
EQUATIONS = (*map(str, range(1, 15)), "W1", "W2", "W3", "C1")
TAG = re.compile(r"(?:^#|;)\s*\((\d+|[WC]\d+)\)")
PLACEHOLDER = re.compile(r"\{\{\s*code:\s*([^\s}]+)\s*\}\}")
ANCHOR = "__codelineno-src-{}"  # pymdownx.highlight's line anchors for a block with id "src"
LINE = "__span-src-{}"  # and the span around each line (line_spans: __span)


@dataclass(frozen=True)
class Tag:
    equation: str
    module: str  # "rnn_ref.truncation"
    where: str  # "rnn_ref.truncation._chunk_deltas"
    first: int
    last: int

    def link(self, page: str) -> str:
        one = self.first == self.last
        lines = f"line {self.first}" if one else f"lines {self.first}\N{EN DASH}{self.last}"
        target = posixpath.relpath(f"source/{self.module}.md", posixpath.dirname(page) or ".")
        return f"[`{self.where}`, {lines}]({target}#{ANCHOR.format(self.first)})"


#: Where the modules with a source page live: the package (the model and BPTT), the
#: walk-through and the files (``rnn_ref/cli`` and ``rnn_ref/tasks`` have none).
FOLDERS = ("", "explain", "files")


def modules() -> dict[str, Path]:
    """``{"rnn_ref.bptt": path, "rnn_ref.explain.walk": path, ...}``."""
    found = {}
    for folder in FOLDERS:
        for path in sorted((PACKAGE / folder).glob("*.py")):
            parts = ["rnn_ref", folder, "" if path.stem == "__init__" else path.stem]
            found[".".join(part for part in parts if part)] = path
    return found


def _functions(tree: ast.AST, prefix: str) -> list[tuple[str, ast.AST]]:
    """(qualified name, node) of every function and class, outer ones first."""
    found = []
    for node in ast.iter_child_nodes(tree):
        name = prefix
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}.{node.name}"
            found.append((name, node))
        found += _functions(node, name)
    return found


def tags_in(module: str, path: Path) -> list[Tag]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    # The outermost node (statement, expression, keyword) that starts on each line.
    starts: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        if hasattr(node, "end_lineno") and not isinstance(node, ast.Module):
            best = starts.get(node.lineno)
            if best is None or node.end_lineno > best.end_lineno:
                starts[node.lineno] = node
    functions = _functions(tree, module)
    tags = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        labels = TAG.findall(token.string) if token.type == tokenize.COMMENT else []
        if not labels:
            continue
        line = token.start[0]
        if token.line.lstrip().startswith("#"):  # a comment on its own: tags the next statement
            node = starts.get(min((n for n in starts if n > line), default=0))
        else:  # a comment after code: tags what starts on its line
            node = starts.get(line)
        last = node.end_lineno if node else line
        where = [name for name, f in functions if f.lineno <= line <= f.end_lineno]
        for label in labels:
            tags.append(Tag(label, module, (where or [module])[-1], line, last))
    return _joined(tags)


def _joined(tags: list[Tag]) -> list[Tag]:
    """Join the tags of one equation on consecutive statements of a function into one."""
    joined: list[Tag] = []
    for tag in tags:
        before = [i for i, t in enumerate(joined) if t.equation == tag.equation]
        last = joined[before[-1]] if before else None
        if last and last.where == tag.where and last.first < tag.first <= last.last + 1:
            joined[before[-1]] = replace(last, last=max(last.last, tag.last))
        else:
            joined.append(tag)
    return joined


def all_tags() -> list[Tag]:
    return [tag for module, path in modules().items() for tag in tags_in(module, path)]


def highlight_style(tags: list[Tag]) -> str:
    """A ``<style>`` that marks the line a link lands on (the URL's ``#__codelineno-src-N``).

    CSS alone, so that it also works with scripts off: the line whose anchor is the target,
    and for a tag over several lines, the lines after its anchored first one too. The look
    is mkdocs-material's for highlighted lines (``hl_lines``).
    """
    selectors = [f".highlight [id^='{LINE.format('')}']:has(> a:target)"]
    for first, last in sorted({(t.first, t.last) for t in tags if t.last > t.first}):
        rest = ", ".join(f"#{LINE.format(n)}" for n in range(first + 1, last + 1))
        selectors.append(f".highlight:has(#{ANCHOR.format(first)}:target) :is({rest})")
    return (
        "<style>\n"
        + ",\n".join(selectors)
        + " {\n  display: block; margin: 0 -1.1765em; padding: 0 1.1765em;\n"
        "  background-color: var(--md-code-hl-color--light);\n"
        "  box-shadow: 2px 0 0 0 var(--md-code-hl-color) inset;\n}\n"
        # Land with a few lines of context above the target, clear of the sticky header.
        f".highlight a[id^='{ANCHOR.format('')}'] {{ scroll-margin-top: 30vh; }}\n"
        "</style>\n"
    )


def source_page(module: str, path: Path, tags: list[Tag]) -> str:
    listed = ", ".join(f"[({t.equation})](#{ANCHOR.format(t.first)})" for t in tags)
    return (
        f"# `{module}`\n\n"
        f"The file `{path.relative_to(PACKAGE.parent).as_posix()}`, read when the site was built. "
        f"Equations tagged here: {listed or 'none'}.\n\n"
        f"{highlight_style(tags)}\n"
        f'```` {{ .python #src linenums="1" }}\n{path.read_text(encoding="utf-8")}````\n'
    )


# MkDocs event handlers ---------------------------------------------------------------------


def on_config(config):
    """Add the generated source pages to the navigation, in a section "Source"."""
    if config.nav is not None:
        config.nav.append({"Source": [{m: f"source/{m}.md"} for m in modules()]})
    return config


def on_files(files, config):
    tags = all_tags()
    for module, path in modules().items():
        content = source_page(module, path, [t for t in tags if t.module == module])
        files.append(File.generated(config, f"source/{module}.md", content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    tags = all_tags()

    def links(match: re.Match) -> str:
        label = match.group(1)
        found = [t.link(page.file.src_uri) for t in tags if t.equation == label]
        if not found:
            raise PluginError(
                f"{page.file.src_uri}: {match.group(0)} names equation ({label}), but no "
                f"comment in rnn_ref is tagged '# ({label})'"
            )
        return "computed in " + (", ".join(found[:-1]) + " and " if found[1:] else "") + found[-1]

    return PLACEHOLDER.sub(links, markdown)


def on_page_content(html, page, config, files):
    """Let MkDocs's anchor check see the line anchors, which it cannot find by itself.

    pymdownx.highlight writes them into stashed HTML that MkDocs does not scan. With
    ``validation: anchors: warn`` and ``strict``, a link to a missing line fails the build.
    """
    if page.file.src_uri.startswith("source/") and page.present_anchor_ids is not None:
        page.present_anchor_ids |= set(re.findall(r'id="(__codelineno-[^"]+)"', html))
    return html
