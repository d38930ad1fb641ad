"""Commands as data, the content-hash build cache and footprints read from objects."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.build import Toolchain, build_c, footprint
from harness.cache import cached_build, content_key
from harness.commands import Command, execute
from harness.errors import BuildError, RunError, RunTimeoutError


def test_command_is_data() -> None:
    cmd = Command(("gcc", Path("/x/a.c"), "-O2"))
    assert cmd.argv == ("gcc", "/x/a.c", "-O2") and str(cmd) == "gcc /x/a.c -O2"


def test_execute_reports_missing_tool_and_failure() -> None:
    with pytest.raises(BuildError, match="no-such-tool-xyz: command not found"):
        execute(Command(("no-such-tool-xyz",)))
    with pytest.raises(RunError, match="exited with 3"):
        execute(Command(("sh", "-c", "echo boom >&2; exit 3")), error=RunError)
    assert execute(Command(("sh", "-c", "exit 3")), check=False).returncode == 3


def test_execute_kills_at_timeout() -> None:
    with pytest.raises(RunTimeoutError, match="did not finish within 0.5 s"):
        execute(Command(("sleep", "30"), timeout_s=0.5))


def test_content_key_depends_on_content(tmp_path: Path) -> None:
    f = tmp_path / "a.c"
    f.write_text("int x;")
    k1 = content_key([f, "-O2"])
    f.write_text("int y;")
    assert content_key([f, "-O2"]) != k1
    assert content_key([f, "-O2"]) != content_key([f, "-O3"])


def test_cache_builds_once_and_leaves_nothing_on_failure(isolated_cache: Path) -> None:
    calls = []

    def build(out: Path) -> None:
        calls.append(out)
        (out / "artifact").write_text("ok")

    folder, hit = cached_build("t", "k" * 64, build)
    again, hit2 = cached_build("t", "k" * 64, build)
    assert (hit, hit2) == (False, True) and folder == again and len(calls) == 1
    assert (folder / "artifact").read_text() == "ok"

    def failing(out: Path) -> None:
        (out / "half").write_text("x")
        raise BuildError("compiler exploded")

    with pytest.raises(BuildError):
        cached_build("t", "f" * 64, failing)
    assert [p.name for p in (isolated_cache / "t").iterdir()] == [folder.name]


def _sources(tmp_path: Path) -> tuple[Path, Path]:
    model = tmp_path / "model.c"
    model.write_text("#include \"model.h\"\nconst int table[256] = {1};\nint arena[64];\n"
                     "int hb_model_invoke(int i) { volatile int buf[128]; buf[0] = 0; buf[i & 127] = i;"
                     " return table[i] + arena[i] + buf[0]; }\n")
    (tmp_path / "model.h").write_text("int hb_model_invoke(int i);\n")
    main = tmp_path / "main.c"
    main.write_text("#include \"model.h\"\nint main(void) { return hb_model_invoke(0) == 1 ? 0 : 1; }\n")
    return model, main


def test_build_c_compiles_caches_and_measures(tmp_path: Path, isolated_cache: Path) -> None:
    model, main = _sources(tmp_path)
    tc = Toolchain("gcc", ("-O1",))
    b = build_c("host", tc, [model], [main], [tmp_path], "prog")
    assert b.output.exists() and not b.cache_hit
    assert b.commands[0].argv[:3] == ("gcc", "-O1", "-fstack-usage")
    assert execute(Command((str(b.output),))).returncode == 0
    assert build_c("host", tc, [model], [main], [tmp_path], "prog").cache_hit
    fp = footprint(tc, b.model_objects)
    assert fp.rodata >= 1024 and fp.bss >= 256 and fp.stack >= 128
    assert fp.flash == fp.text + fp.rodata + fp.data


def test_build_c_reports_compiler_errors(tmp_path: Path, isolated_cache: Path) -> None:
    bad = tmp_path / "bad.c"
    bad.write_text("int f( {")
    with pytest.raises(BuildError, match="gcc exited with 1"):
        build_c("host", Toolchain("gcc"), [bad], [], [], "prog")
    assert not list((isolated_cache / "host").glob("[0-9a-f]*"))
