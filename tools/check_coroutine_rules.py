#!/usr/bin/env python3
"""Flags the coroutine shapes that g++ 12 miscompiles (docs/decisions/0003-gcc12-coroutine-rules.md).

A textual check, so it errs on the side of flagging:
  temporary-in-condition  an `if`/`while` condition that awaits an operand whose arguments construct a
                          temporary (a nested call, a braced or functional cast, std::move into a by-value
                          parameter). Trivially destructible producers (std::string_view, std::min, ...) pass.
  lambda-in-co_await      a lambda expression written anywhere inside a `co_await` expression.
  ref-lambda-co_spawn     a lambda coroutine capturing by reference (`[&]`, `[&x]`) given to co_spawn,
                          written in the call or named earlier in the same file.

Usage: check_coroutine_rules.py [--self-test] [path...]  (paths: files or folders; default src emulator
tests bench under the repository root). A line may opt out with `// coroutine-rules: ok <reason>`.
Exit status 1 when anything is flagged.
"""
import os
import re
import sys

SOURCE_SUFFIXES = (".cpp", ".hpp", ".h", ".cc", ".ipp")
OPT_OUT = "coroutine-rules: ok"
# Calls whose results are trivially destructible, so a temporary of theirs in a condition is harmless.
TRIVIAL_PRODUCERS = re.compile(
    r"(std::)?(string_view|span|min|max|size|ssize|chrono::\w+|duration_cast<[^>]*>)\s*$|"
    r"\.(size|length|empty|data|count|get)\s*$|static_cast<[^>]*>\s*$")
LAMBDA = re.compile(r"(?:^|(?<=[(,={;:?!&|+\-*/<>]))\s*\[([^\[\]]*)\]\s*(?:\(|\{|mutable\b|->|noexcept\b)")
IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def blank_comments_and_strings(text):
    """Returns text with comments and literal contents replaced by spaces (newlines kept, so offsets and
    line numbers stay valid), and the set of line numbers that carry the opt-out marker."""
    out = []
    opt_out_lines = set()
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            if OPT_OUT in text[i:end]:
                opt_out_lines.add(line)
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            chunk = text[i:end]
            out.append(re.sub(r"[^\n]", " ", chunk))
            line += chunk.count("\n")
            i = end
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            chunk = text[i:end]
            out.append('""' + re.sub(r"[^\n]", " ", chunk[2:]))
            line += chunk.count("\n")
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            end = min(j + 1, n)
            out.append(c + " " * (end - i - 2) + c if end - i >= 2 else text[i:end])
            i = end
        else:
            if c == "\n":
                line += 1
            out.append(c)
            i += 1
    return "".join(out), opt_out_lines


def matching(text, open_index):
    """Index just past the bracket that closes the one at open_index (or len(text))."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[open_index]]]
    i = open_index + 1
    while i < len(text) and stack:
        c = text[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if c == stack[-1]:
                stack.pop()
        i += 1
    return i


def expression_end(text, start, limit):
    """End of the expression starting at `start`: the first `;`, `,` or closing bracket at depth 0."""
    i = start
    while i < limit:
        c = text[i]
        if c in "([{":
            i = matching(text, i)
            continue
        if c in ";)]}":
            return i
        i += 1
    return limit


def operand_span(text, start, limit):
    """The awaited operand after `co_await` at `start`: a postfix expression (names, ::, ., ->, calls)."""
    i = start
    while i < limit and text[i].isspace():
        i += 1
    begin = i
    while i < limit:
        m = IDENT.match(text, i)
        if m:
            i = m.end()
        elif text.startswith("::", i) or text.startswith("->", i):
            i += 2
        elif text[i] in ".*&!":
            i += 1
        elif text[i] == "<" and re.match(r"<[\w:\s,<>*&]*>\s*\(", text[i:limit]):
            i = text.index("(", i)
        elif text[i] in "([":
            i = matching(text, i)
        elif text[i].isspace() and re.match(r"\s*[.(]|\s*->", text[i:limit]):
            i += 1
        else:
            break
    return begin, i


def makes_temporary(arguments):
    """True when a call's argument text constructs a non-trivial temporary (as far as text can tell)."""
    if re.search(r"\bstd::move\s*\(|\bstd::forward\b", arguments):
        return True
    for m in re.finditer(r"(\w|>)\s*[({]", arguments):
        prefix = arguments[: m.start() + 1]
        if TRIVIAL_PRODUCERS.search(prefix):
            continue
        return True
    if re.search(r"(^|[(,])\s*\{", arguments):
        return True
    return False


def line_of(text, index):
    return text.count("\n", 0, index) + 1


def check_text(path, raw):
    text, opt_out = blank_comments_and_strings(raw)
    findings = []

    def report(index, rule, message):
        line = line_of(text, index)
        if line not in opt_out:
            findings.append(f"{path}:{line}: {rule}: {message}")

    # 1. co_await of a temporary-making operand inside an if/while condition.
    for m in re.finditer(r"\b(if|while)\s*(constexpr\s*)?\(", text):
        open_index = m.end() - 1
        close = matching(text, open_index)
        condition = text[open_index + 1 : close - 1]
        for aw in re.finditer(r"\bco_await\b", condition):
            begin, end = operand_span(condition, aw.end(), len(condition))
            operand = condition[begin:end]
            call = operand.find("(")
            if call >= 0 and makes_temporary(operand[call:]):
                report(open_index + 1 + aw.start(), "temporary-in-condition",
                       "await into a named variable first, then test it (ADR 0003 rule 1)")

    # 2. A lambda expression inside a co_await expression.
    for aw in re.finditer(r"\bco_await\b", text):
        end = expression_end(text, aw.end(), len(text))
        expression = text[aw.end() : end]
        lam = LAMBDA.search(expression)
        if lam:
            report(aw.end() + lam.start(1) - 1, "lambda-in-co_await",
                   "name the lambda before the co_await (ADR 0003 rule 2)")

    # 3. Lambda coroutines capturing by reference, given to co_spawn.
    def is_reference_coroutine(captures, after_index):
        if "&" not in captures.replace("&&", ""):
            return False
        brace = text.find("{", after_index)
        if brace < 0:
            return False
        head = text[after_index:brace]
        body = text[brace : matching(text, brace)]
        return bool(re.search(r"\bco_(await|return|yield)\b", body) or "awaitable" in head)

    named = set()
    for m in re.finditer(r"\b(?:auto|const\s+auto)\s*&?\s*(\w+)\s*=\s*\[([^\[\]]*)\]", text):
        if is_reference_coroutine(m.group(2), m.end()):
            named.add(m.group(1))
    for m in re.finditer(r"\bco_spawn\s*\(", text):
        open_index = m.end() - 1
        arguments = text[open_index : matching(text, open_index)]
        flagged = False
        for lam in LAMBDA.finditer(arguments):
            if is_reference_coroutine(lam.group(1), open_index + lam.end(1)):
                flagged = True
        for name in named:
            if re.search(r"\b" + re.escape(name) + r"\s*\(", arguments):
                flagged = True
        if flagged:
            report(m.start(), "ref-lambda-co_spawn",
                   "spawn a member or free coroutine taking its parameters by value (ADR 0003 rule 3)")
    return findings


def source_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for folder, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in ("node_modules", "build"))
            for f in sorted(files):
                if f.endswith(SOURCE_SUFFIXES):
                    yield os.path.join(folder, f)


SELF_TEST = {
    # (source, expected rules in order)
    "if (!co_await write(std::string(\"x\"))) co_return;": ["temporary-in-condition"],
    "if (!co_await write_all(s, render_head(200, f))) co_return;": ["temporary-in-condition"],
    "while (co_await next(Frame{a, b})) {}": ["temporary-in-condition"],
    "if (!co_await ex.begin_stream(std::move(head))) co_return;": ["temporary-in-condition"],
    "if (!co_await write(\n    std::string(\"x\"))) co_return;": ["temporary-in-condition"],
    "const bool ok = co_await write(std::string(\"x\"));\nif (!ok) co_return;": [],
    "if (!co_await write_all(s, piece)) co_return;": [],
    "if (!co_await write_all(s, std::string_view(body))) co_return;": [],
    "if (!co_await pause(impl, conn, *d.delay)) co_return;": [],
    "if (ready) co_await finish(std::string(\"x\"));": [],
    "while (n < 2) co_await sleep_for(1ms);": [],
    "if (!co_await write(\"if (co_await f(std::string()))\")) {}": [],
    "// if (!co_await write(std::string(\"x\")))\n": [],
    "if (!co_await write(std::string(\"x\"))) co_return;  // coroutine-rules: ok trivially safe here": [],
    "co_await op(s, [&] { done = true; });": ["lambda-in-co_await"],
    "auto r = co_await net::async_initiate<T, void()>([self](auto h) { h(); }, token);": ["lambda-in-co_await"],
    "co_await op(s, x[0], y);": [],
    "const auto cb = [&] { done = true; };\nco_await op(s, cb);": [],
    "co_await f(v[i]); auto g = [&] {};": [],
    "net::co_spawn(ex, [&]() -> net::awaitable<void> { co_await run(); }, net::detached);": ["ref-lambda-co_spawn"],
    "auto task = [&]() -> net::awaitable<void> { co_await run(); };\nnet::co_spawn(ex, task(), net::detached);":
        ["ref-lambda-co_spawn"],
    "net::co_spawn(ex, [this, x]() -> net::awaitable<void> { co_await run(x); }, net::detached);": [],
    "net::co_spawn(ex, run(impl), [&](std::exception_ptr e) { error = e; });": [],
    "net::co_spawn(ex, session(std::move(socket)), net::detached);": [],
}


def self_test():
    failures = 0
    for source, expected in SELF_TEST.items():
        got = [f.split(": ")[1] for f in check_text("sample.cpp", source)]
        if got != expected:
            failures += 1
            print(f"self-test FAILED: {source!r}\n  expected {expected}, got {got}")
    print(f"coroutine rules self-test: {len(SELF_TEST) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv):
    if argv and argv[0] == "--self-test":
        return self_test()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = argv or [os.path.join(root, d) for d in ("src", "emulator", "tests", "bench")]
    findings = []
    count = 0
    for path in source_files(paths):
        count += 1
        with open(path, encoding="utf-8", errors="replace") as f:
            findings += check_text(os.path.relpath(path, root), f.read())
    for finding in findings:
        print(finding)
    print(f"coroutine rules: {count} files, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
