#!/usr/bin/env python3
"""Reads generated PowerShell through tree-sitter-powershell, a real PowerShell grammar.

  psast.py check FILE...   one line per file: 'ok FILE' or 'error FILE:LINE:COLUMN: ...'
                           for every ERROR or MISSING node; exit 1 if any file has one.
  psast.py calls FILE      JSON: every command call (name, line, parameters with their
                           string values, whether a change gate guards it) and, per
                           function, the commands its body calls.

String values are unescaped the way PowerShell reads them: a single-quoted literal's outer
quotes removed and each doubled quote character (', U+2018..U+201B) read as one.
"""
import json
import sys

import tree_sitter_powershell
from tree_sitter import Language, Parser

PARSER = Parser(Language(tree_sitter_powershell.language()))
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def parse(path):
    with open(path, "rb") as handle:
        return PARSER.parse(handle.read())


def problems(node, found):
    if node.type == "ERROR" or node.is_missing:
        kind = "MISSING " + node.type if node.is_missing else "ERROR"
        text = node.text.decode("utf-8", "replace")[:60].replace("\n", "\\n")
        found.append("%d:%d: %s near %r" % (node.start_point[0] + 1, node.start_point[1] + 1, kind, text))
    for child in node.children:
        problems(child, found)
    return found


def unquote(literal):
    text = literal.decode("utf-8")
    if len(text) >= 2 and text[0] in SINGLE_QUOTES and text[-1] in SINGLE_QUOTES:
        body, out, i = text[1:-1], [], 0
        while i < len(body):
            out.append(body[i])
            if body[i] in SINGLE_QUOTES and i + 1 < len(body) and body[i + 1] in SINGLE_QUOTES:
                i += 1
            i += 1
        return "".join(out)
    return text


def strings(node):
    """The values of every string literal under node, in order; else the node's own text."""
    found = []

    def walk(n):
        if n.type == "string_literal":
            found.append(unquote(n.text))
            return
        for child in n.children:
            walk(child)

    walk(node)
    return found if found else [node.text.decode("utf-8")]


def gate(node):
    """Whether an if statement whose condition calls Approve-MigfwChange encloses node's body."""
    parent = node.parent
    while parent is not None:
        if parent.type == "if_statement":
            condition = [c for c in parent.children if c.type == "pipeline"]
            if condition and b"Approve-MigfwChange" in condition[0].text:
                return True
        parent = parent.parent
    return False


def enclosing_function(node):
    parent = node.parent
    while parent is not None:
        if parent.type == "function_statement":
            for child in parent.children:
                if child.type == "function_name":
                    return child.text.decode("utf-8")
        parent = parent.parent
    return None


def command(node):
    name = None
    parameters = {}
    for child in node.children:
        if child.type == "command_name":
            name = child.text.decode("utf-8")
        elif child.type == "command_elements":
            elements = [c for c in child.children if c.type != "command_argument_sep"]
            i = 0
            while i < len(elements):
                element = elements[i]
                if element.type == "command_parameter":
                    key = element.text.decode("utf-8")
                    if i + 1 < len(elements) and elements[i + 1].type != "command_parameter":
                        parameters[key] = strings(elements[i + 1])
                        i += 2
                        continue
                    parameters[key] = []
                else:
                    parameters.setdefault("", []).extend(strings(element))
                i += 1
    return {
        "name": name,
        "line": node.start_point[0] + 1,
        "parameters": parameters,
        "gated": gate(node),
        "function": enclosing_function(node),
    }


def calls(tree):
    found = []

    def walk(n):
        if n.type == "command":
            found.append(command(n))
        for child in n.children:
            walk(child)

    walk(tree.root_node)
    return found


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        failed = False
        for path in argv[1:]:
            found = problems(parse(path).root_node, [])
            if found:
                failed = True
                for problem in found:
                    print("error %s:%s" % (path, problem))
            else:
                print("ok " + path)
        return 1 if failed else 0
    if len(argv) == 2 and argv[0] == "calls":
        tree = parse(argv[1])
        print(json.dumps({"errors": problems(tree.root_node, []), "calls": calls(tree)}))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
