"""Symbols: each supported language yields its definitions with exact kinds, names and lines."""
from __future__ import annotations

import pytest

from knowledge.ingest.symbols import SUPPORTED_LANGUAGES, ExtractedSymbol, SymbolKind, extract_symbols

PYTHON = """\
import os

MAX_SIZE = 10

class Repo(Base):
    '''A repository.'''

    def __init__(self, name):
        self.name = name

    @property
    def slug(self):
        return self.name.lower()

    class Meta:
        ordering = ["name"]


@decorator
def build(repo: Repo) -> None:
    def helper():
        pass
    return helper

async def fetch():
    pass
"""
PYTHON_SYMBOLS = [
    ("constant", "MAX_SIZE", 3, 3, None),
    ("class", "Repo", 5, 16, None),
    ("method", "__init__", 8, 9, "Repo"),
    ("method", "slug", 12, 13, "Repo"),
    ("class", "Meta", 15, 16, "Repo"),
    ("function", "build", 20, 23, None),
    ("function", "helper", 21, 22, "build"),
    ("function", "fetch", 25, 26, None),
]

JAVASCRIPT = """\
const path = require("path");

export class Store extends Base {
  constructor(name) { super(); this.name = name; }
  get size() { return 0; }
  async load(id) { return id; }
}

function build(repo) {
  return repo;
}

export const handler = async (event) => event;
const legacy = function () {};
module.exports = { build };
"""
JAVASCRIPT_SYMBOLS = [
    ("class", "Store", 3, 7, None),
    ("method", "constructor", 4, 4, "Store"),
    ("method", "size", 5, 5, "Store"),
    ("method", "load", 6, 6, "Store"),
    ("function", "build", 9, 11, None),
    ("function", "handler", 13, 13, None),
    ("function", "legacy", 14, 14, None),
]

TYPESCRIPT = """\
import { x } from "y";

export interface Layer {
  id: number;
  name(): string;
}

export type LayerId = string | number;

export enum Status { Queued, Active }

export const MAX_FILES = 100;

export abstract class Builder<T> implements Layer {
  id = 1;
  constructor(private readonly repo: string) {}
  name(): string { return this.repo; }
  static create(): Builder<any> { return null as any; }
}

export function build(repo: string): void {}

export const handler = async (event: Event) => { return 1; };

namespace Internal { export function helper() {} }

declare module "foo" { export function f(): void; }
"""
TYPESCRIPT_SYMBOLS = [
    ("interface", "Layer", 3, 6, None),
    ("method", "name", 5, 5, "Layer"),
    ("type", "LayerId", 8, 8, None),
    ("enum", "Status", 10, 10, None),
    ("constant", "MAX_FILES", 12, 12, None),
    ("class", "Builder", 14, 19, None),
    ("method", "constructor", 16, 16, "Builder"),
    ("method", "name", 17, 17, "Builder"),
    ("method", "create", 18, 18, "Builder"),
    ("function", "build", 21, 21, None),
    ("function", "handler", 23, 23, None),
    ("module", "Internal", 25, 25, None),
    ("function", "helper", 25, 25, "Internal"),
    ("module", "foo", 27, 27, None),
    ("function", "f", 27, 27, "foo"),
]

JAVA = """\
package com.acme.strata;

import java.util.List;

public class LayerService implements Service {
    public static final int MAX = 10;
    private final Repo repo;

    public LayerService(Repo repo) {
        this.repo = repo;
    }

    public List<String> build(String name) {
        return List.of(name);
    }

    interface Callback {
        void done();
    }

    enum Status { QUEUED, ACTIVE }

    record Point(int x, int y) {}
}
"""
JAVA_SYMBOLS = [
    ("class", "LayerService", 5, 24, None),
    ("constant", "MAX", 6, 6, "LayerService"),
    ("method", "LayerService", 9, 11, "LayerService"),
    ("method", "build", 13, 15, "LayerService"),
    ("interface", "Callback", 17, 19, "LayerService"),
    ("method", "done", 18, 18, "Callback"),
    ("enum", "Status", 21, 21, "LayerService"),
    ("class", "Point", 23, 23, "LayerService"),
]

GO = """\
package layers

import "fmt"

const MaxFiles = 100

type Layer struct {
	ID   int
	Name string
}

type Builder interface {
	Build(l *Layer) error
}

type ID = string

func (l *Layer) Describe() string {
	return fmt.Sprintf("%d", l.ID)
}

func New(name string) *Layer {
	return &Layer{Name: name}
}
"""
GO_SYMBOLS = [
    ("constant", "MaxFiles", 5, 5, None),
    ("struct", "Layer", 7, 10, None),
    ("interface", "Builder", 12, 14, None),
    ("method", "Build", 13, 13, "Builder"),
    ("type", "ID", 16, 16, None),
    ("method", "Describe", 18, 20, "Layer"),
    ("function", "New", 22, 24, None),
]

RUST = """\
use std::fmt;

pub const MAX_FILES: usize = 100;

pub struct Layer {
    id: u64,
}

pub enum Status {
    Queued,
    Active,
}

pub trait Describe {
    fn describe(&self) -> String;
}

impl Layer {
    pub fn new(id: u64) -> Self {
        Layer { id }
    }
}

impl Describe for Layer {
    fn describe(&self) -> String {
        format!("{}", self.id)
    }
}

pub type LayerId = u64;

mod tests {
    fn helper() {}
}

macro_rules! layer { () => {}; }

fn main() {}
"""
RUST_SYMBOLS = [
    ("constant", "MAX_FILES", 3, 3, None),
    ("struct", "Layer", 5, 7, None),
    ("enum", "Status", 9, 12, None),
    ("trait", "Describe", 14, 16, None),
    ("method", "describe", 15, 15, "Describe"),
    ("method", "new", 19, 21, "Layer"),
    ("method", "describe", 25, 27, "Layer"),
    ("type", "LayerId", 30, 30, None),
    ("module", "tests", 32, 34, None),
    ("function", "helper", 33, 33, "tests"),
    ("macro", "layer", 36, 36, None),
    ("function", "main", 38, 38, None),
]

C = """\
#include <stdio.h>

#define MAX_FILES 100

struct layer {
    int id;
};

typedef struct layer layer_t;

enum status { QUEUED, ACTIVE };

static int count = 0;

int layer_id(const struct layer *l) {
    return l->id;
}

void print_layer(struct layer *l);

static char *name_of(layer_t *l) {
    return NULL;
}
"""
C_SYMBOLS = [
    ("constant", "MAX_FILES", 3, 3, None),
    ("struct", "layer", 5, 7, None),
    ("type", "layer_t", 9, 9, None),
    ("enum", "status", 11, 11, None),
    ("function", "layer_id", 15, 17, None),
    ("function", "name_of", 21, 23, None),
]

CPP = """\
#include <string>

namespace strata {

class Layer : public Base {
public:
    Layer(int id);
    int id() const { return id_; }
    virtual ~Layer();
private:
    int id_;
};

struct Point { int x; };

enum class Status { Queued, Active };

Layer::Layer(int id) : id_(id) {}

template <typename T>
T max_of(T a, T b) { return a > b ? a : b; }

}  // namespace strata

int main() { return 0; }
"""
CPP_SYMBOLS = [
    ("module", "strata", 3, 23, None),
    ("class", "Layer", 5, 12, "strata"),
    ("method", "Layer", 7, 7, "Layer"),
    ("method", "id", 8, 8, "Layer"),
    ("method", "~Layer", 9, 9, "Layer"),
    ("struct", "Point", 14, 14, "strata"),
    ("enum", "Status", 16, 16, "strata"),
    ("method", "Layer", 18, 18, "Layer"),
    ("function", "max_of", 21, 21, "strata"),
    ("function", "main", 25, 25, None),
]

CSHARP = """\
using System;

namespace Acme.Strata
{
    public interface ILayer
    {
        int Id { get; }
    }

    public class Layer : ILayer
    {
        public const int Max = 10;
        public int Id { get; set; }

        public Layer(int id) { Id = id; }

        public string Describe() => $"{Id}";
    }

    public struct Point { public int X; }

    public enum Status { Queued, Active }

    public record Snapshot(int Id);
}
"""
CSHARP_SYMBOLS = [
    ("module", "Acme.Strata", 3, 25, None),
    ("interface", "ILayer", 5, 8, "Acme.Strata"),
    ("class", "Layer", 10, 18, "Acme.Strata"),
    ("constant", "Max", 12, 12, "Layer"),
    ("method", "Layer", 15, 15, "Layer"),
    ("method", "Describe", 17, 17, "Layer"),
    ("struct", "Point", 20, 20, "Acme.Strata"),
    ("enum", "Status", 22, 22, "Acme.Strata"),
    ("class", "Snapshot", 24, 24, "Acme.Strata"),
]

RUBY = """\
require "json"

module Strata
  MAX_FILES = 100

  class Layer < Base
    attr_reader :id

    def initialize(id)
      @id = id
    end

    def self.build(repo)
      new(repo.id)
    end

    def to_s
      "layer"
    end
  end
end

def helper
end
"""
RUBY_SYMBOLS = [
    ("module", "Strata", 3, 21, None),
    ("constant", "MAX_FILES", 4, 4, "Strata"),
    ("class", "Layer", 6, 20, "Strata"),
    ("method", "initialize", 9, 11, "Layer"),
    ("method", "build", 13, 15, "Layer"),
    ("method", "to_s", 17, 19, "Layer"),
    ("function", "helper", 23, 24, None),
]

PHP = """\
<?php

namespace App\\Strata;

use Foo\\Bar;

const MAX_FILES = 100;

interface Layered
{
    public function id(): int;
}

trait Describes
{
    public function describe(): string { return ""; }
}

class Layer implements Layered
{
    const KIND = "layer";

    public function __construct(private int $id) {}

    public function id(): int { return $this->id; }

    public static function make(): self { return new self(1); }
}

enum Status: string
{
    case Queued = "queued";
}

function helper(): void {}
"""
PHP_SYMBOLS = [
    ("module", "App\\Strata", 3, 3, None),
    ("constant", "MAX_FILES", 7, 7, None),
    ("interface", "Layered", 9, 12, None),
    ("method", "id", 11, 11, "Layered"),
    ("trait", "Describes", 14, 17, None),
    ("method", "describe", 16, 16, "Describes"),
    ("class", "Layer", 19, 28, None),
    ("constant", "KIND", 21, 21, "Layer"),
    ("method", "__construct", 23, 23, "Layer"),
    ("method", "id", 25, 25, "Layer"),
    ("method", "make", 27, 27, "Layer"),
    ("enum", "Status", 30, 33, None),
    ("function", "helper", 35, 35, None),
]

CASES = {
    "Python": (PYTHON, PYTHON_SYMBOLS),
    "JavaScript": (JAVASCRIPT, JAVASCRIPT_SYMBOLS),
    "TypeScript": (TYPESCRIPT, TYPESCRIPT_SYMBOLS),
    "Java": (JAVA, JAVA_SYMBOLS),
    "Go": (GO, GO_SYMBOLS),
    "Rust": (RUST, RUST_SYMBOLS),
    "C": (C, C_SYMBOLS),
    "C++": (CPP, CPP_SYMBOLS),
    "C#": (CSHARP, CSHARP_SYMBOLS),
    "Ruby": (RUBY, RUBY_SYMBOLS),
    "PHP": (PHP, PHP_SYMBOLS),
}


def table(symbols: list[ExtractedSymbol]) -> list[tuple[str, str, int, int, str | None]]:
    return [(s.kind.value, s.name, s.line, s.end_line, s.container) for s in symbols]


@pytest.mark.parametrize("language", sorted(CASES))
def test_definitions_of_each_language(language):
    source, expected = CASES[language]
    assert table(extract_symbols(language, source.encode())) == expected


def test_every_case_covers_a_supported_language():
    assert set(CASES) | {"TSX"} == SUPPORTED_LANGUAGES


def test_tsx_components_and_types():
    source = b"""\
import React from "react";

export interface Props { title: string }

export const Card = ({ title }: Props) => <div className="card">{title}</div>;

export default function Page(): JSX.Element {
  return <Card title="x" />;
}
"""
    assert table(extract_symbols("TSX", source)) == [
        ("interface", "Props", 3, 3, None),
        ("function", "Card", 5, 5, None),
        ("function", "Page", 7, 9, None),
    ]


def test_cpp_out_of_class_method_names_its_class():
    source = b"int strata::Layer::size() const { return 0; }\n"
    assert extract_symbols("C++", source) == [ExtractedSymbol("size", SymbolKind.METHOD, 1, 1, "strata::Layer")]


def test_go_method_on_generic_receiver_names_the_type():
    source = b"package x\n\nfunc (s *Stack[T]) Push(v T) {}\n"
    assert extract_symbols("Go", source) == [ExtractedSymbol("Push", SymbolKind.METHOD, 3, 3, "Stack")]


def test_rust_impl_of_generic_type_names_the_type():
    source = b"impl<T: Clone> Wrapper<T> {\n    fn get(&self) -> T { todo!() }\n}\n"
    assert extract_symbols("Rust", source) == [ExtractedSymbol("get", SymbolKind.METHOD, 2, 2, "Wrapper")]


def test_local_constants_are_not_symbols():
    source = b"function run() {\n  const LIMIT = 3;\n  return LIMIT;\n}\nconst TOP = 1;\n"
    assert table(extract_symbols("JavaScript", source)) == [
        ("function", "run", 1, 4, None),
        ("constant", "TOP", 5, 5, None),
    ]


def test_broken_source_still_yields_what_parses():
    source = b"def ok():\n    pass\n\ndef broken(:\n    pass\n\nclass Fine:\n    pass\n"
    names = [s.name for s in extract_symbols("Python", source)]
    assert "ok" in names and "Fine" in names


@pytest.mark.parametrize("language, source", [(None, b"def f(): pass"), ("Haskell", b"main = pure ()"), ("Python", b"")])
def test_unsupported_or_empty_input_gives_nothing(language, source):
    assert extract_symbols(language, source) == []


def test_oversized_source_is_skipped():
    source = b"def f():\n    pass\n" * 100
    assert extract_symbols("Python", source, max_bytes=100) == []
    assert len(extract_symbols("Python", source)) == 100
