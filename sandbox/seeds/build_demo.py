"""Writes sandbox/seeds/demo.json: the demo's Bitbucket (run `python sandbox/seeds/build_demo.py`).

Four workspaces: `northwind` (alice owns it; real Python packages as source, with pull requests and
pipelines), `polyglot` (alice is a member; small projects in a dozen languages, and one empty
repository), `fleet` (alice is a member; more than 100 tiny repositories, so listings need several
pages) and `contoso` (alice is not a member).
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALL_SCOPES = ["read:user:bitbucket", "read:workspace:bitbucket", "read:repository:bitbucket",
              "read:pullrequest:bitbucket", "read:pipeline:bitbucket", "read:webhook:bitbucket",
              "write:webhook:bitbucket", "delete:webhook:bitbucket"]
FLEET_SIZE = 120

PACKAGES = [  # (slug, package, description)
    ("requests", "requests", "HTTP for humans."),
    ("urllib3", "urllib3", "HTTP client with connection pooling."),
    ("idna", "idna", "Internationalized domain names in applications."),
    ("certifi", "certifi", "Mozilla's CA bundle."),
    ("jsonschema", "jsonschema", "JSON Schema validation."),
    ("pytest", "_pytest", "The pytest test runner."),
    ("pygments", "pygments", "Syntax highlighting."),
    ("sqlparse", "sqlparse", "A non-validating SQL parser."),
]


def readme(title: str, body: str) -> str:
    return f"# {title}\n\n{body}\n\n## Development\n\nSee the source files in this repository.\n"


POLYGLOT = {
    "web-shop": ("javascript", {
        "package.json": '{\n  "name": "web-shop",\n  "version": "2.3.0",\n  "dependencies": {\n'
                        '    "express": "^4.19.2",\n    "lodash": "^4.17.21"\n  },\n'
                        '  "devDependencies": {"jest": "^29.7.0"}\n}\n',
        "src/cart.js": "export class Cart {\n  constructor() {\n    this.items = [];\n  }\n\n"
                       "  add(item, quantity = 1) {\n    this.items.push({ item, quantity });\n  }\n\n"
                       "  total() {\n    return this.items.reduce((sum, l) => sum + l.item.price * l.quantity, 0);\n"
                       "  }\n}\n",
        "src/server.js": "import express from 'express';\nimport { Cart } from './cart.js';\n\n"
                         "const app = express();\napp.get('/health', (req, res) => res.json({ ok: true }));\n"
                         "export function start(port) {\n  return app.listen(port);\n}\n",
        "README.md": readme("Web shop", "A small Express shop with a cart."),
    }),
    "ts-sdk": ("typescript", {
        "package.json": '{\n  "name": "@polyglot/sdk",\n  "version": "0.9.1",\n'
                        '  "dependencies": {"axios": "^1.7.2"},\n  "devDependencies": {"typescript": "^5.4.5"}\n}\n',
        "tsconfig.json": '{\n  "compilerOptions": {"strict": true, "target": "ES2022"}\n}\n',
        "src/client.ts": "export interface Options {\n  baseUrl: string;\n  token?: string;\n}\n\n"
                         "export class Client {\n  constructor(private readonly options: Options) {}\n\n"
                         "  async get<T>(path: string): Promise<T> {\n"
                         "    const response = await fetch(`${this.options.baseUrl}${path}`);\n"
                         "    return (await response.json()) as T;\n  }\n}\n",
        "README.md": readme("TypeScript SDK", "A typed client for the Polyglot API."),
    }),
    "go-service": ("go", {
        "go.mod": "module github.com/polyglot/go-service\n\ngo 1.22\n\nrequire (\n"
                  "\tgithub.com/gorilla/mux v1.8.1\n\tgithub.com/rs/zerolog v1.33.0\n)\n",
        "main.go": "package main\n\nimport (\n\t\"net/http\"\n\n\t\"github.com/gorilla/mux\"\n)\n\n"
                   "// Health answers liveness probes.\nfunc Health(w http.ResponseWriter, r *http.Request) {\n"
                   "\tw.WriteHeader(http.StatusOK)\n}\n\nfunc main() {\n\trouter := mux.NewRouter()\n"
                   "\trouter.HandleFunc(\"/health\", Health)\n\thttp.ListenAndServe(\":8080\", router)\n}\n",
        "store/store.go": "package store\n\n// Store keeps orders in memory.\ntype Store struct {\n"
                          "\torders map[string]int\n}\n\n// New makes an empty store.\nfunc New() *Store {\n"
                          "\treturn &Store{orders: map[string]int{}}\n}\n",
        "README.md": readme("Go service", "An HTTP service written in Go."),
    }),
    "rust-cli": ("rust", {
        "Cargo.toml": "[package]\nname = \"rust-cli\"\nversion = \"0.4.0\"\nedition = \"2021\"\n\n"
                      "[dependencies]\nclap = { version = \"4.5\", features = [\"derive\"] }\nserde = \"1.0\"\n",
        "src/main.rs": "use clap::Parser;\n\n/// Count the lines of a file.\n#[derive(Parser)]\n"
                       "struct Args {\n    path: String,\n}\n\nfn count_lines(text: &str) -> usize {\n"
                       "    text.lines().count()\n}\n\nfn main() {\n    let args = Args::parse();\n"
                       "    let text = std::fs::read_to_string(args.path).unwrap();\n"
                       "    println!(\"{}\", count_lines(&text));\n}\n",
        "README.md": readme("Rust CLI", "Counts lines, fast."),
    }),
    "java-billing": ("java", {
        "pom.xml": "<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.polyglot</groupId>\n"
                   "  <artifactId>billing</artifactId>\n  <version>1.2.0</version>\n  <dependencies>\n"
                   "    <dependency>\n      <groupId>com.google.guava</groupId>\n"
                   "      <artifactId>guava</artifactId>\n      <version>33.2.0-jre</version>\n"
                   "    </dependency>\n  </dependencies>\n</project>\n",
        "src/main/java/com/polyglot/billing/Invoice.java":
            "package com.polyglot.billing;\n\nimport java.math.BigDecimal;\n\npublic class Invoice {\n"
            "    private final BigDecimal amount;\n\n    public Invoice(BigDecimal amount) {\n"
            "        this.amount = amount;\n    }\n\n    public BigDecimal total(BigDecimal taxRate) {\n"
            "        return amount.add(amount.multiply(taxRate));\n    }\n}\n",
        "README.md": readme("Billing", "Invoices and taxes, in Java."),
    }),
    "c-lib": ("c", {
        "Makefile": "CFLAGS=-O2 -Wall\n\nlibring.a: ring.o\n\tar rcs $@ $^\n",
        "ring.h": "#ifndef RING_H\n#define RING_H\n\ntypedef struct ring ring_t;\n\n"
                  "ring_t *ring_new(int size);\nint ring_push(ring_t *ring, int value);\n\n#endif\n",
        "ring.c": "#include <stdlib.h>\n#include \"ring.h\"\n\nstruct ring {\n    int *data;\n"
                  "    int size;\n    int head;\n};\n\nring_t *ring_new(int size) {\n"
                  "    ring_t *ring = malloc(sizeof(ring_t));\n    ring->data = calloc(size, sizeof(int));\n"
                  "    ring->size = size;\n    ring->head = 0;\n    return ring;\n}\n\n"
                  "int ring_push(ring_t *ring, int value) {\n    ring->data[ring->head] = value;\n"
                  "    ring->head = (ring->head + 1) % ring->size;\n    return 0;\n}\n",
        "README.md": readme("Ring buffer", "A tiny C ring buffer."),
    }),
    "cpp-engine": ("c++", {
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.20)\nproject(engine CXX)\n"
                          "add_library(engine src/engine.cpp)\n",
        "src/engine.hpp": "#pragma once\n#include <string>\n\nnamespace engine {\n\nclass Engine {\n"
                          " public:\n  explicit Engine(std::string name);\n  int run(int steps) const;\n\n"
                          " private:\n  std::string name_;\n};\n\n}  // namespace engine\n",
        "src/engine.cpp": "#include \"engine.hpp\"\n\nnamespace engine {\n\n"
                          "Engine::Engine(std::string name) : name_(std::move(name)) {}\n\n"
                          "int Engine::run(int steps) const {\n  int done = 0;\n"
                          "  for (int i = 0; i < steps; ++i) ++done;\n  return done;\n}\n\n}  // namespace engine\n",
        "README.md": readme("Engine", "A C++ simulation engine."),
    }),
    "csharp-api": ("c#", {
        "Api.csproj": "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup>\n"
                      "    <TargetFramework>net8.0</TargetFramework>\n  </PropertyGroup>\n  <ItemGroup>\n"
                      "    <PackageReference Include=\"Newtonsoft.Json\" Version=\"13.0.3\" />\n"
                      "  </ItemGroup>\n</Project>\n",
        "Controllers/OrdersController.cs":
            "using Microsoft.AspNetCore.Mvc;\n\nnamespace Api.Controllers;\n\n[ApiController]\n"
            "[Route(\"orders\")]\npublic class OrdersController : ControllerBase\n{\n"
            "    [HttpGet]\n    public IActionResult List() => Ok(new[] { \"first\", \"second\" });\n}\n",
        "README.md": readme("Orders API", "An ASP.NET Core API."),
    }),
    "ruby-app": ("ruby", {
        "Gemfile": "source \"https://rubygems.org\"\n\ngem \"sinatra\", \"~> 4.0\"\ngem \"puma\", \"~> 6.4\"\n",
        "app.rb": "require \"sinatra\"\n\nclass Greeter\n  def initialize(name)\n    @name = name\n  end\n\n"
                  "  def greet\n    \"Hello, #{@name}\"\n  end\nend\n\n"
                  "get \"/\" do\n  Greeter.new(\"world\").greet\nend\n",
        "README.md": readme("Ruby app", "A Sinatra greeter."),
    }),
    "php-site": ("php", {
        "composer.json": '{\n  "name": "polyglot/php-site",\n  "require": {\n'
                         '    "php": ">=8.2",\n    "monolog/monolog": "^3.6"\n  }\n}\n',
        "src/Page.php": "<?php\n\nnamespace Polyglot;\n\nfinal class Page\n{\n"
                        "    public function __construct(private string $title) {}\n\n"
                        "    public function render(): string\n    {\n"
                        "        return '<h1>' . htmlspecialchars($this->title) . '</h1>';\n    }\n}\n",
        "README.md": readme("PHP site", "Renders pages."),
    }),
    "python-tool": ("python", {
        "pyproject.toml": "[project]\nname = \"python-tool\"\nversion = \"1.0.0\"\n"
                          "dependencies = [\"click>=8.1\", \"rich>=13\"]\n",
        "tool/__init__.py": "\"\"\"A command-line tool.\"\"\"\n",
        "tool/cli.py": "import click\n\n\n@click.command()\n@click.argument(\"name\")\n"
                       "def main(name: str) -> None:\n    \"\"\"Greet NAME.\"\"\"\n"
                       "    click.echo(f\"Hello {name}\")\n",
        "README.md": readme("Python tool", "A click-based command."),
    }),
}


def northwind() -> list[dict]:
    repos = []
    for index, (slug, package, description) in enumerate(PACKAGES):
        repo = {"workspace": "northwind", "slug": slug, "name": slug, "language": "python",
                "description": description, "project": {"key": "LIB", "name": "Libraries"},
                "source": {"python_package": package},
                "branches": {f"feature/{slug}-docs": {
                    "author": "bob", "message": f"Document {slug} for the team",
                    "files": {"NOTES.md": f"# Notes on {slug}\n\n{description}\n"}}},
                "pullrequests": [
                    {"title": f"Document {slug} for the team", "source": f"feature/{slug}-docs",
                     "author": "bob", "reviewers": ["alice"],
                     "state": ["OPEN", "MERGED", "DECLINED"][index % 3],
                     "description": "Adds team notes."}],
                "pipelines": [{"state": "SUCCESSFUL", "duration_s": 120 + 7 * index, "branch": "main"},
                              {"state": ["FAILED", "SUCCESSFUL", "ERROR", "STOPPED"][index % 4],
                               "duration_s": 60 + index, "branch": "main"}]}
        repos.append(repo)
    return repos


def polyglot() -> list[dict]:
    repos = [{"workspace": "polyglot", "slug": slug, "name": slug.replace("-", " ").title(),
              "language": language, "is_private": slug != "web-shop",
              "source": {"files": files},
              "pipelines": [{"state": "SUCCESSFUL", "duration_s": 45, "branch": "main"}]}
             for slug, (language, files) in POLYGLOT.items()]
    repos.append({"workspace": "polyglot", "slug": "scratch", "name": "Scratch",
                  "description": "An empty repository (no commits, no main branch)."})
    return repos


def fleet() -> list[dict]:
    return [{"workspace": "fleet", "slug": f"svc-{n:03d}", "name": f"Service {n:03d}",
             "language": "python",
             "source": {"files": {
                 "README.md": f"# Service {n:03d}\n\nOne of many small services.\n",
                 f"svc_{n:03d}/handler.py": f"def handle(event):\n    \"\"\"Service {n:03d}.\"\"\"\n"
                                           f"    return {{\"service\": {n}, \"event\": event}}\n"}}}
            for n in range(1, FLEET_SIZE + 1)]


def demo() -> dict:
    return {
        "consumers": [{"key": "strata-demo", "secret": "strata-demo-secret", "name": "Strata",
                       "description": "Strata builds knowledge layers of your repositories.",
                       # The permissions Strata's README asks for (least privilege).
                       "scopes": "account email repository webhook",
                       "callback_url": "http://127.0.0.1:8000/accounts/bitbucket/login/callback/"}],
        "users": [
            {"nickname": "alice", "display_name": "Alice Archer", "email": "alice@example.com",
             "api_tokens": [{"token": "ATATT3xFfGF0-demo-alice-read-and-webhooks", "scopes": ALL_SCOPES}]},
            {"nickname": "bob", "display_name": "Bob Builder", "email": "bob@example.com",
             "api_tokens": [{"token": "ATATT3xFfGF0-demo-bob-read-and-webhooks", "scopes": ALL_SCOPES}]},
            {"nickname": "carol", "display_name": "Carol Chen", "email": "carol@example.com"},
        ],
        "workspaces": [
            {"slug": "northwind", "name": "Northwind Libraries", "members": {"alice": "owner", "bob": "member"}},
            {"slug": "polyglot", "name": "Polyglot Labs", "members": {"bob": "owner", "alice": "member"}},
            {"slug": "fleet", "name": "Fleet Services", "members": {"carol": "owner", "alice": "member"}},
            {"slug": "contoso", "name": "Contoso", "members": {"carol": "owner"}},
        ],
        "repositories": [*northwind(), *polyglot(), *fleet(),
                         {"workspace": "contoso", "slug": "private-plans", "name": "Private plans",
                          "source": {"files": {"README.md": "# Not for alice\n"}}}],
    }


if __name__ == "__main__":
    target = HERE / "demo.json"
    target.write_text(json.dumps(demo(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target}")
