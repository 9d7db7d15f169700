"""The deploy package: what goes in it, and what must hold for it. Python 3 standard library only.

Used by .ci/make-package (writes the zip), .ci/check-package (inspects one) and .ci/test-package
(their tests), so the workflow and .ci/run share one implementation of each rule.

Which files go in follows the Azure Functions Core Tools (`func azure functionapp publish`, `func
pack`), so a zip made here holds what `func` would deploy:
  - .funcignore is read as Core Tools reads it (src/Cli/func/Common/GitIgnoreParser.cs, a port of
    codemix/gitignore-parser): lines trimmed, blank and `#` lines skipped, `!` negates, a leading
    `/` is dropped; a pattern matches a path *prefix* from the app root, with `*` -> `[^/]+`,
    `**` -> `.+` and a word boundary after it. So `target` leaves out `target/...` (and
    `target.txt`) but not `sub/target/...`, and `*.md` only top-level Markdown files.
  - always left out, at any depth, whatever .funcignore says (FileSystemHelpers.GetLocalFiles):
    the directories .git and .vscode, the files .funcignore, .gitignore, local.settings.json and
    project.lock.json. A `.git` *file* (a worktree's or submodule's pointer) is left out too;
    Core Tools would ship it, but it is never part of an app.
  - entries store Unix modes: the custom handler's executable (host.json's
    customHandler.description.defaultExecutablePath) 0755, every other file 0644, whatever the
    modes on disk (a checkout on Windows has none). Core Tools writes 0777/0666 for the same reason.
"""

import json
import os
import platform
import posixpath
import re
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

ALWAYS_EXCLUDED_DIRS = {".git", ".vscode"}
ALWAYS_EXCLUDED_FILES = {".funcignore", ".gitignore", "local.settings.json", "project.lock.json", ".git"}
EXECUTABLE_MODE = 0o755
FILE_MODE = 0o644
UNIX = 3  # zip "version made by" host system; unzip applies stored modes only for this one


class FuncIgnore:
    """The patterns of a .funcignore, matched the way Core Tools matches them."""

    def __init__(self, text=""):
        positive, negative = [], []
        for line in text.split("\n"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            if line.startswith("/"):
                line = line[1:]
            (negative if negated else positive).append(line)
        self.positive = sorted(positive)
        self.negative = sorted(negative)
        self._positive = _union(self.positive)
        self._negative = _union(self.negative)

    @classmethod
    def read(cls, app_dir):
        path = os.path.join(app_dir, ".funcignore")
        if not os.path.exists(path):
            return cls("")
        with open(path, encoding="utf-8") as f:
            return cls(f.read())

    def accepts(self, path):
        """True when `path` (relative, `/`-separated) is not ignored."""
        return bool(self._negative.match(path)) or not self._positive.match(path)

    def pattern_for(self, path):
        """The first pattern that leaves `path` out, or None when `path` is accepted."""
        if self.accepts(path):
            return None
        for pattern in self.positive:
            if _union([pattern]).match(path):
                return pattern
        return None  # unreachable: accepts() said some positive pattern matched


def _pattern_regex(pattern):
    escaped = re.sub(r"[\-\[\]/{}()+?.\\^$|]", lambda m: "\\" + m.group(0), pattern)
    return escaped.replace("**", "(.+)").replace("*", "([^/]+)")


def _union(patterns):
    if not patterns:
        return re.compile(r"$^")
    body = ")|(".join(_pattern_regex(p) for p in patterns)
    # \b as in JavaScript (ASCII word characters), which the C# port runs in ECMAScript mode.
    return re.compile("^((" + body + "))\\b", re.ASCII)


def always_excluded(path):
    """Why Core Tools never packages `path` whatever .funcignore says, or None."""
    parts = path.split("/")
    for part in parts[:-1]:
        if part.lower() in ALWAYS_EXCLUDED_DIRS:
            return f"Core Tools always leaves out {part}/"
    if parts[-1].lower() in ALWAYS_EXCLUDED_FILES:
        return f"Core Tools always leaves out {parts[-1]}"
    return None


def exclusion_reason(path, ignore):
    """Why `path` must not be in the package, or None when it may be."""
    reason = always_excluded(path)
    if reason:
        return reason
    pattern = ignore.pattern_for(path)
    if pattern is not None:
        return f"excluded by .funcignore pattern '{pattern}'"
    return None


def executable_name(host_json_text):
    """The zip entry name of the custom handler's executable named in host.json."""
    try:
        host = json.loads(host_json_text)
        name = host["customHandler"]["description"]["defaultExecutablePath"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("host.json has no customHandler.description.defaultExecutablePath") from None
    if not isinstance(name, str) or not name:
        raise ValueError("host.json's defaultExecutablePath is not a file name")
    return posixpath.normpath(name.replace("\\", "/"))


def select_files(app_dir, skip=()):
    """The files of `app_dir` that a deploy takes, as sorted relative `/`-separated paths."""
    ignore = FuncIgnore.read(app_dir)
    skip = {os.path.realpath(p) for p in skip}
    selected = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        rel_dir = os.path.relpath(dirpath, app_dir).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        kept = []
        for d in sorted(dirnames):
            rel = rel_dir + d
            if d.lower() in ALWAYS_EXCLUDED_DIRS:
                continue
            # Only a shortcut (target/ can hold thousands of files): a directory whose path an
            # ignore pattern matches has every file below it matched too, unless a `!` pattern
            # might take one back, so then every file is tested as Core Tools does.
            if not ignore.negative and not ignore.accepts(rel):
                continue
            kept.append(d)
        dirnames[:] = kept
        for f in sorted(filenames):
            rel = rel_dir + f
            full = os.path.join(dirpath, f)
            if os.path.realpath(full) in skip or not os.path.isfile(full):
                continue
            if always_excluded(rel) is None and ignore.accepts(rel):
                selected.append(rel)
    return sorted(selected)


def make_package(app_dir, zip_path):
    """Writes the deploy zip of `app_dir` to `zip_path`; returns [(name, mode)]."""
    with open(os.path.join(app_dir, "host.json"), encoding="utf-8") as f:
        executable = executable_name(f.read())
    files = select_files(app_dir, skip=[zip_path])
    os.makedirs(os.path.dirname(os.path.abspath(zip_path)), exist_ok=True)
    tmp = zip_path + ".tmp"
    entries = []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as zf:
        for name in files:
            full = os.path.join(app_dir, *name.split("/"))
            info = zipfile.ZipInfo.from_file(full, name, strict_timestamps=False)
            mode = EXECUTABLE_MODE if name == executable else FILE_MODE
            info.create_system = UNIX
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(full, "rb") as src, zf.open(info, "w") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            entries.append((name, mode))
    os.replace(tmp, zip_path)
    return entries


# ELF: e_ident[EI_CLASS] 2 = 64-bit, [EI_DATA] 1 = little-endian; e_machine 62 = x86-64;
# program header type 3 = PT_INTERP, present exactly when the binary needs a dynamic loader.
ELF_MACHINES = {3: "x86 (32-bit)", 40: "ARM", 62: "x86_64", 183: "aarch64", 243: "RISC-V"}
PT_INTERP = 3


def elf_problem(data):
    """Why `data` is not a static x86_64 Linux executable, or None when it is."""
    if data[:4] != b"\x7fELF":
        return "is not a Linux executable (no ELF header)"
    if data[4] != 2 or data[5] != 1:
        return "is not a 64-bit little-endian ELF file"
    if len(data) < 64:
        return "is a truncated ELF file"
    (machine,) = struct.unpack_from("<H", data, 18)
    if machine != 62:
        arch = ELF_MACHINES.get(machine, f"machine {machine}")
        return f"is built for {arch}; Azure Functions runs it on x86_64"
    (phoff,) = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    if phentsize < 56 or phoff + phnum * phentsize > len(data):
        return "has a broken ELF program header table"
    for i in range(phnum):
        base = phoff + i * phentsize
        (p_type,) = struct.unpack_from("<I", data, base)
        if p_type == PT_INTERP:
            offset, _, _, filesz = struct.unpack_from("<QQQQ", data, base + 8)
            loader = data[offset : offset + filesz].split(b"\0")[0].decode("ascii", "replace")
            return (
                f"is dynamically linked (needs the loader {loader or '?'}); "
                "build the static musl binary with ./build.sh"
            )
    return None


SYSTEMS = {0: "MS-DOS/Windows", 3: "Unix", 7: "Macintosh", 10: "NTFS", 19: "OS X"}


def entry_mode(info):
    """The Unix mode stored for a zip entry, or None when it was not zipped on Unix."""
    if info.create_system != UNIX:
        return None
    return info.external_attr >> 16


def describe(info):
    """One listing line for a zip entry: mode, size, name."""
    mode = entry_mode(info)
    if mode is None:
        system = SYSTEMS.get(info.create_system, info.create_system)
        return f"{'?' * 10} {info.file_size:>10}  {info.filename}  (zipped on {system}: no Unix mode)"
    return f"{stat.filemode(mode)} {info.file_size:>10}  {info.filename}"


def check_package(zip_path, app_dir):
    """Lists the zip and checks it. Returns (listing lines, problems): one line per problem."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as e:
        return [], [f"cannot be read as a zip: {e}"]
    with zf:
        infos = zf.infolist()
        listing = [describe(i) for i in infos]
        problems = []
        ignore = FuncIgnore.read(app_dir)
        names = {}
        for info in infos:
            name = info.filename
            if name.startswith("/") or "\\" in name or ".." in name.split("/"):
                problems.append(f"{name}: an entry must be a relative path without '..' or '\\'")
                continue
            if info.is_dir():
                continue
            names[name] = info
            why = exclusion_reason(name, ignore)
            if why:
                problems.append(f"{name} is in the package but {why}")

        if "host.json" not in names:
            problems.append("host.json is missing: the Functions host does not start without it")
            return listing, problems
        try:
            executable = executable_name(zf.read("host.json").decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as e:
            problems.append(str(e))
            return listing, problems

        if not any(re.fullmatch(r"[^/]+/function\.json", n) for n in names):
            problems.append("no <Function>/function.json: the host would find no functions")

        info = names.get(executable)
        if info is None:
            problems.append(f"{executable} is missing (host.json's defaultExecutablePath names it)")
            return listing, problems
        mode = entry_mode(info)
        if mode is None:
            system = SYSTEMS.get(info.create_system, info.create_system)
            problems.append(
                f"{executable} was zipped on {system}: no Unix mode is stored, so it lands without its execute bit"
            )
        elif not stat.S_ISREG(mode) and stat.S_IFMT(mode) != 0:
            problems.append(f"{executable} is not a regular file (mode {stat.filemode(mode)})")
        elif mode & 0o111 != 0o111:
            problems.append(
                f"{executable} is not executable (mode {stat.filemode(mode)}): the host cannot start it"
            )
        why = elf_problem(zf.read(info))
        if why:
            problems.append(f"{executable} {why}")
        elif not problems:
            why = start_problem(zf, executable)
            if why:
                problems.append(f"{executable} {why}")
        return listing, problems


# How long the packaged handler has to answer GET / (the host gives it 30 s, but a built
# handler listens in a millisecond).
START_WAIT = 10


def start_problem(zf, executable):
    """Why the packaged handler does not start with the package's own files: unzipped, it is
    started as the host starts it, and must answer GET / before it exits. A handler built before
    a function was added exits at once ("no Rust function is registered"), with every static
    check passed. Only where it can run: on x86_64 Linux."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None
    with tempfile.TemporaryDirectory() as app:
        zf.extractall(app)
        exe = os.path.join(app, executable)
        os.chmod(exe, 0o755)  # extractall does not restore modes; the host's unzip does
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = dict(os.environ, FUNCTIONS_CUSTOMHANDLER_PORT=str(port), FUNCTIONS_APP_ROOT_PATH=app)
        handler = subprocess.Popen(
            [exe], cwd=app, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + START_WAIT
            while time.monotonic() < deadline:
                if handler.poll() is not None:
                    said = handler.stderr.read().decode("utf-8", "replace").strip().splitlines()
                    reason = f": {said[-1]}" if said else ""
                    return f"does not start: it exits with code {handler.returncode}{reason}"
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        if conn.recv(8).startswith(b"HTTP/1."):
                            return None
                except OSError:
                    pass
                time.sleep(0.05)
            return f"does not answer GET / within {START_WAIT} s"
        finally:
            handler.kill()
            handler.wait()
            handler.stderr.close()
