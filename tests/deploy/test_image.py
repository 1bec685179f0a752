"""Shipping: the image builds reproducibly from the lock file, and the pipeline pins it by digest in the overlay.

No container engine and no container registry are reachable here (so no daemonless builder could pull the base
image either): the Dockerfile is checked step by step instead — base pinned by digest, every COPY source present
and let through the .dockerignore, the lock hash-pinned and equal to what the tests run with, the entry point's
modules present. The Dockerfile's own install step (`pip install --require-hashes -r requirements.lock`) is run
by the last test when YBSS_DEPLOY_INSTALL_LOCK=1 (CI), not by default, to keep tests/deploy fast.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from contracts.contexts import CONTEXTS
from tests.deploy.conftest import K8S, REPO
from tests.deploy.wiring import PINNED

DOCKERFILE = K8S / "Dockerfile"
LOCK = REPO / "requirements.lock"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def build_args() -> dict[str, str]:
    return dict(arg.split("=", 1) for op, arg in instructions() if op == "ARG" and "=" in arg)


def test_every_base_image_is_pinned_by_digest():
    args = build_args()
    bases = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], arg.split()[0])
             for op, arg in instructions() if op == "FROM"]
    assert len(bases) >= 2, "build tools stay out of the runtime image"
    for base in bases:
        assert re.search(r"@sha256:[0-9a-f]{64}$", base), f"{base} is not pinned by digest"


def ignored(path: str) -> bool:
    """Whether Dockerfile.dockerignore keeps a path out of the build context (last matching rule wins)."""
    verdict = False
    for rule in (K8S / "Dockerfile.dockerignore").read_text().splitlines():
        rule = rule.strip()
        if not rule or rule.startswith("#"):
            continue
        negate, pattern = rule.startswith("!"), rule.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            verdict = not negate
    return verdict


def test_every_copy_source_exists_and_reaches_the_build_context():
    for op, arg in instructions():
        if op != "COPY" or "--from=" in arg:
            continue
        sources = [word for word in arg.split() if not word.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
            assert not ignored(source), f"COPY {source}: Dockerfile.dockerignore keeps it out of the context"


def locked() -> dict[str, str]:
    text = LOCK.read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M))
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n\n", 1)[-1])
    for block in blocks:
        if re.match(r"[A-Za-z0-9_.-]+==", block):
            assert "--hash=sha256:" in block, f"{block.split()[0]} has no hash"
    return {name.lower().replace("_", "-"): version for name, version in pins.items()}


def test_the_lock_pins_every_dependency_with_hashes_as_pyproject_says():
    pins = locked()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", requirement).groups()
        assert pins.get(name.lower().replace("_", "-")) == version, \
            f"{name}: pyproject says {version}, requirements.lock {pins.get(name.lower())}; re-run pip-compile"


def test_the_tests_run_with_the_locked_versions():
    """The venv the suite runs in holds exactly the locked versions, so what is tested is what ships."""
    drift = {}
    for name, version in locked().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            drift[name] = (version, None)
            continue
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"locked vs installed: {drift}; `pip install -e '.[test]'` or re-run pip-compile"


def test_the_entry_point_reaches_every_context_and_the_cli():
    entrypoint = (K8S / "entrypoint.sh").read_text()
    assert 'exec python -m "services.$1"' in entrypoint and "exec python -m services.kernel.operations.cli" in entrypoint
    for context in CONTEXTS:
        assert importlib.util.find_spec(f"services.{context.name}.__main__"), context.name
    assert callable(importlib.import_module("services.kernel.operations.cli").main)


def test_the_pipeline_sets_the_image_by_digest_in_the_overlay(k8s_tools, tmp_path):
    """docs/DEPLOYMENT.md's pipeline step, on a copy: `kustomize edit set image ybss=<registry>@<digest>`."""
    shutil.copytree(K8S, tmp_path / "k8s", ignore=shutil.ignore_patterns("schemas"))
    overlay = tmp_path / "k8s" / "overlays" / "production"
    image = f"registry.example.invalid/ybss/ybss@{DIGEST}"
    subprocess.run([k8s_tools["KUSTOMIZE"], "edit", "set", "image", f"ybss={image}"], cwd=overlay, check=True)
    rendered = subprocess.run([k8s_tools["KUSTOMIZE"], "build", str(overlay)], capture_output=True, text=True,
                              check=True).stdout
    images = set(re.findall(r"image: (registry\.example\.invalid/ybss/ybss\S*)", rendered))
    assert images == {image}, images
    assert PINNED.match(image)



def test_the_dockerfiles_install_step_installs_the_lock_and_every_context_imports(tmp_path):
    """The Dockerfile's own pip command, run in a fresh venv; then each context's app imports from it alone.
    Slow (a fresh install, ~30 s with a warm pip cache), so only with YBSS_DEPLOY_INSTALL_LOCK=1 (CI sets it)."""
    if not os.environ.get("YBSS_DEPLOY_INSTALL_LOCK"):
        pytest.skip("set YBSS_DEPLOY_INSTALL_LOCK=1 to install requirements.lock into a fresh venv")
    (step,) = [arg for op, arg in instructions() if op == "RUN" and "-r /tmp/requirements.lock" in arg]
    install = re.search(r"/opt/ybss/bin/pip (install [^&]*)", step).group(1).split()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    args = [str(LOCK) if word == "/tmp/requirements.lock" else word for word in install]
    subprocess.run([str(venv / "bin" / "pip"), *args], check=True, capture_output=True, timeout=900)
    for context in CONTEXTS:
        result = subprocess.run([str(venv / "bin" / "python"), "-c", f"import services.{context.name}.app"],
                                cwd=REPO, capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
        assert result.returncode == 0, f"{context.name}: {result.stderr[-2000:]}"
