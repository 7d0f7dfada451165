"""Manifests become dependency rows; a malformed manifest becomes an error note, never a crash."""
from __future__ import annotations

import pytest

from knowledge.ingest.dependencies import Scope, manifest_kind, parse_manifest


def rows(path: str, text: str) -> list[tuple[str, str, str, str]]:
    result = parse_manifest(path, text)
    assert result is not None
    return [(d.name, d.constraint, d.scope.value, d.group) for d in result.dependencies]


@pytest.mark.parametrize("path, kind", [
    ("requirements.txt", "requirements.txt"),
    ("requirements-dev.txt", "requirements.txt"),
    ("requirements/test.in", "requirements.txt"),
    ("dev-requirements.txt", "requirements.txt"),
    ("services/api/package.json", "package.json"),
    ("strata.gemspec", ".gemspec"),
    ("go.mod", "go.mod"),
    ("src/main.py", None),
    ("node_requirements.md", None),
])
def test_manifest_kind(path, kind):
    assert manifest_kind(path) == kind


def test_requirements_txt():
    text = """\
# runtime
Django>=5.2,<6  # LTS
requests[socks]==2.34.2 ; python_version >= "3.11"
-r base.txt
--index-url https://example.org/simple
-e git+https://example.org/x.git#egg=editable
git+https://example.org/y.git@v1#egg=from_git
psycopg[binary] \\
    ==3.3.9
Pillow==11.0 --hash=sha256:abc
zope.interface
"""
    assert rows("requirements.txt", text) == [
        ("django", ">=5.2,<6", "runtime", ""),
        ("requests", "==2.34.2", "runtime", ""),
        ("from-git", "git+https://example.org/y.git@v1", "runtime", ""),
        ("psycopg", "==3.3.9", "runtime", ""),
        ("pillow", "==11.0", "runtime", ""),
        ("zope-interface", "", "runtime", ""),
    ]
    assert parse_manifest("requirements.txt", text).error is None


@pytest.mark.parametrize("path, scope", [
    ("requirements-dev.txt", Scope.DEV), ("requirements/test.txt", Scope.TEST),
    ("requirements_docs.txt", Scope.DEV), ("requirements/base.txt", Scope.RUNTIME),
    ("docs/requirements.txt", Scope.DEV), ("services/api/requirements.txt", Scope.RUNTIME),
])
def test_requirements_scope_comes_from_the_file_name(path, scope):
    assert parse_manifest(path, "pytest\n").dependencies[0].scope is scope


def test_requirements_with_a_bad_line_keeps_the_good_ones():
    result = parse_manifest("requirements.txt", "good==1\nthis is not a requirement!!\nalso-good\n")
    assert [d.name for d in result.dependencies] == ["good", "also-good"]
    assert "this is not a requirement" in result.error


def test_pyproject_pep621_groups_and_build_system():
    text = """\
[build-system]
requires = ["setuptools>=68"]

[project]
name = "strata"
dependencies = ["Django>=5.2", "nh3==0.3.7"]

[project.optional-dependencies]
postgres = ["psycopg[binary]>=3.2"]

[dependency-groups]
test = ["pytest>=8"]
lint = ["ruff", {include-group = "test"}]
"""
    assert rows("pyproject.toml", text) == [
        ("django", ">=5.2", "runtime", ""),
        ("nh3", "==0.3.7", "runtime", ""),
        ("psycopg", ">=3.2", "optional", "postgres"),
        ("pytest", ">=8", "test", "test"),
        ("ruff", "", "dev", "lint"),
        ("setuptools", ">=68", "build", ""),
    ]


def test_pyproject_poetry():
    text = """\
[tool.poetry.dependencies]
python = "^3.11"
django = "^5.2"
boto3 = { version = "^1.34", optional = true }
internal = { git = "https://example.org/internal.git" }

[tool.poetry.group.test.dependencies]
pytest = "^8.0"

[tool.poetry.dev-dependencies]
black = "*"
"""
    assert rows("pyproject.toml", text) == [
        ("django", "^5.2", "runtime", ""),
        ("boto3", "^1.34", "optional", ""),
        ("internal", "git:https://example.org/internal.git", "runtime", ""),
        ("black", "*", "dev", "dev"),
        ("pytest", "^8.0", "test", "test"),
    ]


def test_setup_cfg():
    text = """\
[metadata]
name = legacy

[options]
install_requires =
    requests>=2
    click; python_version >= "3.8"
tests_require = pytest

[options.extras_require]
yaml = PyYAML>=6
"""
    assert rows("setup.cfg", text) == [
        ("requests", ">=2", "runtime", ""),
        ("click", "", "runtime", ""),
        ("pytest", "", "test", ""),
        ("pyyaml", ">=6", "optional", "yaml"),
    ]


def test_package_json():
    text = """{
  "name": "web",
  "dependencies": {"react": "^18.3.1", "@acme/ui": "workspace:*"},
  "devDependencies": {"typescript": "~5.6.0"},
  "peerDependencies": {"react-dom": ">=18"},
  "optionalDependencies": {"fsevents": "2.3.3"}
}"""
    assert rows("web/package.json", text) == [
        ("react", "^18.3.1", "runtime", ""),
        ("@acme/ui", "workspace:*", "runtime", ""),
        ("typescript", "~5.6.0", "dev", ""),
        ("react-dom", ">=18", "peer", ""),
        ("fsevents", "2.3.3", "optional", ""),
    ]


def test_go_mod():
    text = """\
module example.org/strata

go 1.23

require github.com/google/uuid v1.6.0

require (
	golang.org/x/sync v0.8.0
	golang.org/x/text v0.18.0 // indirect
)

replace golang.org/x/sync => ../sync
"""
    assert rows("go.mod", text) == [
        ("github.com/google/uuid", "v1.6.0", "runtime", ""),
        ("golang.org/x/sync", "v0.8.0", "runtime", ""),
        ("golang.org/x/text", "v0.18.0", "indirect", ""),
    ]


def test_pom_xml_resolves_properties_and_scopes():
    text = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <groupId>org.acme</groupId>
  <artifactId>strata</artifactId>
  <version>1.4.0</version>
  <properties>
    <spring.version>6.1.5</spring.version>
    <junit.version>${junit.base}.2</junit.version>
    <junit.base>5.10</junit.base>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.springframework</groupId>
      <artifactId>spring-core</artifactId>
      <version>${spring.version}</version>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>${junit.version}</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>strata-common</artifactId>
      <version>${project.version}</version>
      <optional>true</optional>
    </dependency>
    <dependency>
      <groupId>jakarta.servlet</groupId>
      <artifactId>jakarta.servlet-api</artifactId>
      <scope>provided</scope>
    </dependency>
  </dependencies>
</project>"""
    assert rows("pom.xml", text) == [
        ("org.springframework:spring-core", "6.1.5", "runtime", ""),
        ("org.junit.jupiter:junit-jupiter", "5.10.2", "test", ""),
        ("org.acme:strata-common", "1.4.0", "optional", ""),
        ("jakarta.servlet:jakarta.servlet-api", "", "provided", ""),
    ]


def test_pom_with_entities_is_refused_not_expanded():
    bomb = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<project><dependencies><dependency><groupId>&lol2;</groupId><artifactId>a</artifactId></dependency>
</dependencies></project>"""
    result = parse_manifest("pom.xml", bomb)
    assert result.dependencies == []
    assert "DTD" in result.error


def test_cargo_toml():
    text = """\
[package]
name = "strata"

[dependencies]
serde = { version = "1.0", features = ["derive"] }
tokio = "1.40"
fast = { package = "fast-hash", version = "0.3", optional = true }
local = { path = "../local" }

[dev-dependencies]
proptest = "1"

[build-dependencies]
cc = "1.1"

[target.'cfg(unix)'.dependencies]
libc = "0.2"
"""
    assert rows("Cargo.toml", text) == [
        ("serde", "1.0", "runtime", ""),
        ("tokio", "1.40", "runtime", ""),
        ("fast-hash", "0.3", "optional", ""),
        ("local", "path:../local", "runtime", ""),
        ("proptest", "1", "dev", ""),
        ("cc", "1.1", "build", ""),
        ("libc", "0.2", "runtime", "cfg(unix)"),
    ]


def test_gemfile_groups_and_blocks():
    text = """\
source "https://rubygems.org"

gem "rails", "~> 7.1", ">= 7.1.3"
gem 'pg'
gem "rspec-rails", require: false, group: :test

group :development, :test do
  gem "debug", platforms: %i[mri windows]
  if ENV["CI"]
    gem "simplecov"
  end
end

platforms :jruby do
  gem "jdbc"
end

group :development do
  gem "rubocop" # style
end
"""
    assert rows("Gemfile", text) == [
        ("rails", "~> 7.1, >= 7.1.3", "runtime", ""),
        ("pg", "", "runtime", ""),
        ("rspec-rails", "", "test", "test"),
        ("debug", "", "test", "development,test"),
        ("simplecov", "", "test", "development,test"),
        ("jdbc", "", "runtime", ""),
        ("rubocop", "", "dev", "development"),
    ]


def test_gemspec():
    text = """\
Gem::Specification.new do |spec|
  spec.name = "strata"
  spec.add_dependency "faraday", ">= 2.0", "< 3"
  spec.add_runtime_dependency("nokogiri", "~> 1.16")
  spec.add_development_dependency "rake"
end
"""
    assert rows("strata.gemspec", text) == [
        ("faraday", ">= 2.0, < 3", "runtime", ""),
        ("nokogiri", "~> 1.16", "runtime", ""),
        ("rake", "", "dev", ""),
    ]


def test_composer_json_skips_platform_requirements():
    text = """{"require": {"php": ">=8.2", "ext-json": "*", "laravel/framework": "^11.0"},
              "require-dev": {"phpunit/phpunit": "^11.3"}}"""
    assert rows("composer.json", text) == [
        ("laravel/framework", "^11.0", "runtime", ""),
        ("phpunit/phpunit", "^11.3", "dev", ""),
    ]


@pytest.mark.parametrize("path, text", [
    ("package.json", "{not json"),
    ("package.json", "[1, 2]"),
    ("composer.json", '{"require": "laravel"}'),
    ("pyproject.toml", "[project\ndependencies = ["),
    ("pyproject.toml", 'project = "not a table"'),
    ("Cargo.toml", "[dependencies]\nserde = 1\n"),
    ("pom.xml", "<project><dependencies>"),
    ("setup.cfg", "install_requires = no section header"),
])
def test_malformed_manifests_give_an_error_note(path, text):
    result = parse_manifest(path, text)
    assert result is not None
    assert result.dependencies == []
    assert result.error


def test_non_manifest_is_none():
    assert parse_manifest("src/app.py", "import os") is None


def test_pom_property_expansion_cannot_explode():
    props = "".join(f"<p{i}>" + f"${{p{i - 1}}}" * 10 + f"</p{i}>" for i in range(1, 9))
    text = (f"<project><properties><p0>xxxxxxxxxx</p0>{props}</properties><dependencies><dependency>"
            "<groupId>g</groupId><artifactId>a</artifactId><version>${p8}</version></dependency>"
            "</dependencies></project>")
    (dependency,) = parse_manifest("pom.xml", text).dependencies
    assert len(dependency.constraint) <= 512
